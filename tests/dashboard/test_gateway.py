"""The dashboard on ``hologram server --http``: same port as the REST API, the device
list from the gateway (listed devices, last address), the send form through the
cloud-to-device queue, and the live stream woken by each stored row."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

import pytest

from hologram_sdk.cloud.custom import CustomCloud
from hologram_sdk.cloud.hologram import HologramCloud
from hologram_sdk.emulator.cloud.gateway import Gateway
from tests.cli.util import clean_env
from tests.support.net import free_port

from .conftest import API_KEY
from .util import Lines

WAIT = 10.0


@pytest.fixture
def inbound_port():
    return free_port()


@pytest.fixture
def gateway(tmp_path, inbound_port):
    devices = tmp_path / "devices.hjson"
    sensor = f'name: "sensor-1", cloud_id: "1d3g", cloud_key: "5a7b", inbound_port: {inbound_port}'
    devices.write_text(
        f'{{devices: [\n  {{{sensor}}}\n  {{name: "tracker", devicekey: "k3y0f8ch"}}\n]}}\n'
    )
    with Gateway(
        name="gw", port=0, db=tmp_path / "g.db", devices=devices, http_port=0, api_key=API_KEY
    ) as gw:
        yield gw


def request(url, method, path, body=None, headers=None):
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=WAIT)
    try:
        conn.request(method, path, body, headers or {})
        answer = conn.getresponse()
        return answer.status, dict(answer.getheaders()), answer.read()
    finally:
        conn.close()


def session(url):
    body = urllib.parse.urlencode({"key": API_KEY})
    status, headers, _ = request(url, "POST", "/login", body)
    assert status == 303
    return {"Cookie": headers["Set-Cookie"].split(";")[0]}


def sensor_sends(gw, text):
    device = HologramCloud(
        {"cloud_id": "1d3g", "cloud_key": "5a7b"},
        enable_inbound=False,
        send_host="127.0.0.1",
        send_port=gw.cloud.port,
    )
    try:
        assert int(device.sendMessage(text, topics=["T"])) == 0
    finally:
        device.close()


def test_dashboard_and_rest_api_share_the_port(gateway):
    url = gateway.http_url
    assert gateway.dashboard is not None
    status, headers, _ = request(url, "GET", "/")
    assert status == 303 and headers["Location"].startswith("/login")
    assert request(url, "GET", "/api/1/devices")[0] == 401  # the API's own key check
    assert request(url, "GET", "/api/1/devices", headers={"X-API-Key": API_KEY})[0] == 200
    cookie = session(url)
    assert request(url, "GET", "/ui/overview")[0] == 401
    overview = json.loads(request(url, "GET", "/ui/overview", headers=cookie)[2])
    names = {d["name"]: d for d in overview["devices"]}
    assert set(names) == {"sensor-1", "tracker"}  # listed devices, before any message
    assert names["tracker"]["auth"] == "devicekey"


def test_last_address_and_the_queue_from_the_form(gateway, inbound_port):
    url = gateway.http_url
    cookie = session(url)
    sensor_sends(gateway, "hello")
    arrived = threading.Event()
    listener = CustomCloud(
        None, receive_host="127.0.0.1", receive_port=inbound_port, enable_inbound=True
    )
    try:
        listener.event.subscribe("message.received", arrived.set)
        body = json.dumps({"device": "sensor-1", "kind": "message", "text": "fan on"})
        status, _, answer = request(
            url, "POST", "/ui/send", body, {**cookie, "Content-Type": "application/json"}
        )
        assert status == 200, answer
        assert json.loads(answer)["state"] == "pending"
        assert arrived.wait(WAIT)
        assert listener.popReceivedMessage() == "fan on"
    finally:
        listener.close()
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        device = json.loads(request(url, "GET", "/ui/devices/sensor-1", headers=cookie)[2])
        if (device["device"]["inbound"] or {}).get("ok"):
            break
        time.sleep(0.05)
    assert device["device"]["inbound"]["ok"] is True
    assert device["device"]["last_address"] == "127.0.0.1"
    assert device["device"]["gateway"] == "gw"
    sms = json.dumps({"device": "sensor-1", "kind": "sms", "text": "battery?"})
    status, _, answer = request(
        url, "POST", "/ui/send", sms, {**cookie, "Content-Type": "application/json"}
    )
    assert status == 200 and json.loads(answer)["state"] == "stored"  # as the REST API's SMS
    queue = json.loads(
        request(url, "GET", "/api/1/to-device?deviceid=sensor-1", headers={"X-API-Key": API_KEY})[2]
    )
    assert [(r["kind"], r["source"]) for r in queue["data"]] == [
        ("message", "dashboard"),
        ("sms", "dashboard"),
    ]
    sms = json.dumps({"device": "sensor-1", "kind": "sms", "text": "x" * 161})
    status, _, answer = request(
        url, "POST", "/ui/send", sms, {**cookie, "Content-Type": "application/json"}
    )
    assert status == 400 and b"160" in answer


def test_the_stream_is_woken_by_each_stored_row(gateway):
    url = gateway.http_url
    cookie = session(url)
    parts = urllib.parse.urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=WAIT)
    stream = sock.makefile("rb")
    try:
        sock.sendall(
            f"GET /ui/events HTTP/1.1\r\nHost: x\r\nCookie: {cookie['Cookie']}\r\n\r\n".encode()
        )
        while stream.readline() not in (b"\r\n", b""):
            pass
        while not stream.readline().startswith(b"data:"):  # the hello event
            pass
        gateway.dashboard.hub.interval = 30.0  # only the store's signal can wake it now
        sensor_sends(gateway, "wake up")
        started = time.monotonic()
        line = b""
        while not line.startswith(b"data:"):
            line = stream.readline()
        assert json.loads(line[5:])["data"] == "wake up"
        assert time.monotonic() - started < 5.0
    finally:
        stream.close()
        sock.close()


def test_hologram_server_prints_the_dashboard_address(tmp_path):
    env = clean_env(tmp_path, HOLOGRAM_API_KEY=API_KEY)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hologram_sdk",
            "server",
            "--port",
            "0",
            "--http",
            "0",
            "--db",
            str(tmp_path / "s.db"),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = Lines(proc.stdout)
    try:
        out = lines.until("dashboard on", 30)
        found = re.search(
            r"dashboard on (http://127\.0\.0\.1:\d+)/ \(log in with the API key\)", out
        )
        assert found, out
        assert API_KEY not in out
        status, headers, _ = request(found[1], "GET", "/")
        assert status == 303 and headers["Location"].startswith("/login")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        lines.join()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        lines.join()
        proc.stdout.close()
        proc.stderr.close()


@pytest.mark.allow_leaks  # the browser's driver connections come and go
def test_the_form_queues_to_a_customcloud_in_the_browser(browser, gateway, inbound_port):
    from .test_browser import css, wait_for

    url = gateway.http_url
    sensor_sends(gateway, "ready")
    arrived = threading.Event()
    listener = CustomCloud(
        None, receive_host="127.0.0.1", receive_port=inbound_port, enable_inbound=True
    )
    try:
        listener.event.subscribe("message.received", arrived.set)
        browser.get(url + "/login")
        browser.delete_all_cookies()
        css(browser, "#key").send_keys(API_KEY)
        css(browser, "#login-button").click()
        wait_for(browser, lambda d: "127.0.0.1" in css(d, "#devices tbody").text)
        css(browser, "#send-text").send_keys("lights off")
        css(browser, "#send-button").click()
        wait_for(browser, lambda d: "Queued as #" in css(d, "#send-result").text)
        assert arrived.wait(WAIT)
        assert listener.popReceivedMessage() == "lights off"
        wait_for(
            browser, lambda d: "answered" in css(d, '#devices tr[data-device="sensor-1"]').text
        )
    finally:
        listener.close()


@pytest.fixture
def showcase(tmp_path, inbound_port):
    """A gateway with three devices and a webhook route that is down (for the picture)."""
    devices = tmp_path / "devices.hjson"
    devices.write_text(
        "{devices: [\n"
        '  {name: "kitchen", cloud_id: "1d3g", cloud_key: "5a7b", '
        f"inbound_port: {inbound_port}}}\n"
        '  {name: "tracker", devicekey: "k3y0f8ch"}\n'
        '  {name: "pump-7", cloud_id: "gh56", cloud_key: "ij78"}\n'
        "]}\n"
    )
    hook = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens: the route stays down
    with Gateway(
        name="gw-a",
        port=0,
        db=tmp_path / "g.db",
        devices=devices,
        routes=(hook,),
        http_port=0,
        api_key=API_KEY,
    ) as gw:
        yield gw


@pytest.mark.allow_leaks  # the browser's driver connections come and go
def test_screenshot(browser, showcase, inbound_port, tmp_path):
    """A screenshot as a test artifact (and, on request, the README's picture)."""
    from .test_browser import all_css, css, store_history, wait_for

    gw = showcase
    creds = {
        "kitchen": {"cloud_id": "1d3g", "cloud_key": "5a7b"},
        "tracker": {"devicekey": "k3y0f8ch"},
        "pump-7": {"cloud_id": "gh56", "cloud_key": "ij78"},
    }

    def send(name, *payloads, topics=None):
        device = HologramCloud(
            creds[name], enable_inbound=False, send_host="127.0.0.1", send_port=gw.cloud.port
        )
        try:
            for payload in payloads:
                assert int(device.sendMessage(payload, topics=topics)) == 0
        finally:
            device.close()

    store_history(
        gw.store.path,
        [("kitchen", 6, 3, "TEMP"), ("tracker", 3, 3, "GPS"), ("pump-7", 1, 1, "FLOW")],
        time.time() - 5,
    )
    send("kitchen", "21.5", topics=["TEMP", "KITCHEN"])
    send("tracker", '{"lat":52.52,"lon":13.40}', topics=["GPS"])
    send("pump-7", "12.5 l/min", topics=["FLOW"])
    device = HologramCloud(
        creds["tracker"], enable_inbound=False, send_host="127.0.0.1", send_port=gw.cloud.port
    )
    try:
        device.sendSMS("+15551234567", "Battery low: 3.41 V")
    finally:
        device.close()
    listener = CustomCloud(
        None, receive_host="127.0.0.1", receive_port=inbound_port, enable_inbound=True
    )
    try:
        browser.set_window_size(1400, 1640)
        browser.get(gw.http_url + "/login")
        browser.delete_all_cookies()
        css(browser, "#key").send_keys(API_KEY)
        css(browser, "#login-button").click()
        wait_for(browser, lambda d: len(all_css(d, "#devices tbody tr")) == 3)
        css(browser, "#send-text").send_keys("set interval 60")
        css(browser, "#send-button").click()
        wait_for(browser, lambda d: "answered" in css(d, "#devices tbody").text, timeout=15)
        send("pump-7", "door closed", topics=["DOOR"])
        send("kitchen", b"\x01\x02\x03\xfe\x10 frame", topics=["RAW"])
        wait_for(browser, lambda d: "binary" in css(d, "#messages li:first-child").text)
        wait_for(browser, lambda d: "waiting" in css(d, "#routes").text, timeout=15)
        css(browser, "#send-text").send_keys("reboot")
        path = tmp_path / "dashboard.png"
        assert browser.save_screenshot(str(path))
        assert path.stat().st_size > 10000
        target = os.environ.get("HOLOGRAM_DASHBOARD_SCREENSHOT")
        if target:  # the README's picture
            browser.save_screenshot(target)
    finally:
        browser.set_window_size(1400, 1000)
        listener.close()
