"""The dashboard over plain HTTP (no browser): nothing without a session, the login
cookie, 404s, the send endpoint's refusals and the event stream's resume."""

from __future__ import annotations

import http.client
import json
import socket
import time
import urllib.parse
from email.message import Message

import pytest

from hologram_sdk.emulator.cloud import CloudStore
from hologram_sdk.emulator.dashboard.app import dashboard_app, open_dashboard
from hologram_sdk.emulator.cloud.web.app import Request

from .conftest import API_KEY, Site

WAIT = 10.0


@pytest.fixture
def site(tmp_path):
    db = str(tmp_path / "cloud.db")
    store = CloudStore(db)
    store.add_message("device-1", ["T"], "secret reading")
    store.close()
    s = Site(db)
    try:
        yield s
    finally:
        s.close()


def request(site, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", site.web.port, timeout=WAIT)
    try:
        conn.request(method, path, body, headers or {})
        answer = conn.getresponse()
        return answer.status, dict(answer.getheaders()), answer.read()
    finally:
        conn.close()


def login(site, key=API_KEY, next_path="/"):
    body = urllib.parse.urlencode({"key": key, "next": next_path})
    return request(
        site, "POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded"}
    )


@pytest.fixture
def cookie(site):
    status, headers, _ = login(site)
    assert status == 303
    return {"Cookie": headers["Set-Cookie"].split(";")[0]}


PATHS = [
    "/ui/overview",
    "/ui/devices/device-1",
    "/ui/messages",
    "/ui/messages/1",
    "/ui/sms",
    "/ui/chart",
    "/ui/events",
]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Cookie": "hologram_session=forged"},
        {"Authorization": "Bearer wrong-key-123"},
        {"X-API-Key": "wrong-key-123"},
        {"Cookie": "hologram_session"},
    ],
)
def test_nothing_is_readable_without_a_session(site, headers):
    for path in PATHS:
        status, _, body = request(site, "GET", path, headers=headers)
        assert status == 401, path
        assert b"secret" not in body and b"device-1" not in body
    for path in ("/", "/devices/device-1"):
        status, answer, body = request(site, "GET", path, headers=headers)
        assert status == 303 and answer["Location"].startswith("/login?next=/")
        assert body == b""
    status, _, body = request(
        site, "POST", "/ui/send", b"{}", {"Content-Type": "application/json", **headers}
    )
    assert status == 401


def test_the_api_key_as_a_header_works_like_the_session(site):
    status, _, body = request(site, "GET", "/ui/messages", headers={"X-API-Key": API_KEY})
    assert status == 200 and b"secret reading" in body
    bearer = {"Authorization": f"Bearer {API_KEY}"}
    assert request(site, "GET", "/ui/overview", headers=bearer)[0] == 200


def test_login_cookie_and_wrong_key(site):
    status, headers, body = login(site, key="not-the-right-key")
    assert status == 401 and "Set-Cookie" not in headers
    assert b"not this server&#x27;s API key" in body and b"secret" not in body
    status, headers, _ = login(site, next_path="/devices/device-1")
    assert status == 303 and headers["Location"] == "/devices/device-1"
    flags = [f.strip() for f in headers["Set-Cookie"].split(";")]
    assert "HttpOnly" in flags and "SameSite=Strict" in flags and "Path=/" in flags
    assert API_KEY not in headers["Set-Cookie"]
    status, headers, _ = request(site, "POST", "/logout")
    assert status == 303 and "Max-Age=0" in headers["Set-Cookie"]


@pytest.mark.parametrize("target", ["//evil.example/", "http://evil.example/", "/\\evil", ""])
def test_login_never_redirects_off_site(site, target):
    status, headers, _ = login(site, next_path=target)
    assert status == 303 and headers["Location"] == "/"


def test_pages_404_and_static_files(site, cookie):
    status, headers, body = request(site, "GET", "/devices/nobody", headers=cookie)
    assert status == 404 and b"device nobody" in body
    status, _, body = request(site, "GET", "/devices/%3Cscript%3E", headers=cookie)
    assert status == 404 and b"&lt;script&gt;" in body and b"<script>" not in body
    assert request(site, "GET", "/ui/devices/nobody", headers=cookie)[0] == 404
    assert request(site, "GET", "/ui/messages/99", headers=cookie)[0] == 404
    assert request(site, "GET", "/ui/messages?before=x", headers=cookie)[0] == 400
    assert request(site, "GET", "/ui/chart?span=week", headers=cookie)[0] == 400
    assert request(site, "GET", "/no/such/page")[0] == 404
    status, headers, body = request(site, "GET", "/static/dashboard.js")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript")
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    for bad in ("/static/..%2Fapp.py", "/static/app.py", "/static/.hidden.js", "/static/x.html"):
        assert request(site, "GET", bad)[0] == 404, bad


def test_send_refuses_bad_requests(site, cookie):
    def send(body, content_type="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return request(site, "POST", "/ui/send", data, {**cookie, "Content-Type": content_type})

    assert send({"device": "device-1", "text": "x"}, "text/plain")[0] == 415
    assert send(b"{not json")[0] == 400
    assert send({"device": "device-1"})[0] == 400
    assert send({"device": "device-1", "text": "x", "kind": "fax"})[0] == 400
    assert send({"device": "device-1", "text": "x", "address": "host:99999"})[0] == 400
    assert send({"device": "nobody", "text": "x", "address": "127.0.0.1:9"})[0] == 404
    status, _, body = send({"device": "device-1", "text": "x"})
    assert status == 400 and b"no address known" in body
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    status, _, body = send({"device": "device-1", "text": "x", "address": f"127.0.0.1:{port}"})
    assert status == 502 and b"cannot reach" in body
    device = json.loads(request(site, "GET", "/ui/devices/device-1", headers=cookie)[2])
    assert device["device"]["inbound"]["ok"] is False


def read_events(sock_file, count, deadline):
    events, current = [], {}
    while len(events) < count and time.monotonic() < deadline:
        line = sock_file.readline().decode()
        if not line:
            break
        line = line.rstrip("\n")
        if not line:
            if current:
                events.append(current)
            current = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(": ")
            current[name] = value
    return events


def open_stream(site, cookie, last_event_id=None):
    sock = socket.create_connection(("127.0.0.1", site.web.port), timeout=WAIT)
    extra = f"Last-Event-ID: {last_event_id}\r\n" if last_event_id else ""
    sock.sendall(
        f"GET /ui/events HTTP/1.1\r\nHost: x\r\nCookie: {cookie['Cookie']}\r\n{extra}\r\n".encode()
    )
    stream = sock.makefile("rb")
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        head += stream.readline()
    assert head.startswith(b"HTTP/1.1 200") and b"text/event-stream" in head
    return sock, stream


def test_the_event_stream_follows_and_resumes(site, cookie):
    sock, stream = open_stream(site, cookie)
    try:
        (hello,) = read_events(stream, 1, time.monotonic() + WAIT)
        assert hello["event"] == "hello" and hello["id"] == "1.0"
        store = CloudStore(site.db)
        store.add_message("device-1", [], "<script>alert(1)</script>")
        store.add_sms("device-1", "+1555", "an sms")
        store.close()
        site.dashboard.hub.notify()
        got = read_events(stream, 2, time.monotonic() + WAIT)
        assert [e["event"] for e in got] == ["message", "sms"]
        assert json.loads(got[0]["data"])["data"] == "<script>alert(1)</script>"
        assert got[-1]["id"] == "2.1"
    finally:
        stream.close()
        sock.close()
    # a browser that reconnects with Last-Event-ID gets exactly what it missed
    store = CloudStore(site.db)
    store.add_message("device-1", [], "missed")
    store.close()
    sock, stream = open_stream(site, cookie, last_event_id="2.1")
    try:
        hello, missed = read_events(stream, 2, time.monotonic() + WAIT)
        assert json.loads(missed["data"])["data"] == "missed" and missed["id"] == "3.1"
        site.dashboard.end_streams()
        assert stream.read() == b""  # the server ended it
    finally:
        stream.close()
        sock.close()


def test_closing_the_server_ends_open_streams(tmp_path, cookie, site):
    sock, stream = open_stream(site, cookie)
    try:
        read_events(stream, 1, time.monotonic() + WAIT)
        started = time.monotonic()
        site.close()  # the fixture's close later is a no-op
        assert time.monotonic() - started < 5.0
    finally:
        stream.close()
        sock.close()


def test_the_page_cursor_is_the_newest_row_even_before_any_stream(tmp_path):
    """The hub starts with the first stream: the cursor the page gets must not be older
    than what the page shows (or the stream would replay it as new)."""
    db = str(tmp_path / "c.db")
    CloudStore(db).close()
    with open_dashboard(db, API_KEY) as dashboard:  # its hub never started
        store = CloudStore(db)
        store.add_message("device-1", [], "after the dashboard was made")
        store.close()
        headers = Message()
        headers["X-API-Key"] = API_KEY
        app = dashboard_app(dashboard)
        for path, handler in (
            ("/ui/overview", "overview_json"),
            ("/ui/devices/device-1", "device_json"),
        ):
            answer = app.handle(Request("GET", path, {}, headers))
            assert answer.status == 200, handler
            assert json.loads(answer.body)["cursor"] == "1.0"
