"""The webhook route against a real HTTP server, and the route registry's bad input."""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hologram_sdk.emulator.cloud.gateway import Gateway
from hologram_sdk.emulator.cloud.ledger import Ledger
from hologram_sdk.emulator.cloud.routes import (
    VALID_ROUTE_SCHEMES,
    make_route,
    parse_route_url,
    topic_level,
)
from hologram_sdk.emulator.cloud.store import CloudStore
from hologram_sdk.errors import ConfigurationError
from tests.fleet.test_mqtt_route import CREDS, send
from tests.support.net import wait_until


class Hook:
    """A webhook receiver (a test double of an application) answering from a script."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.bodies: list[dict] = []
        self.auth: list[str] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = hook.statuses.pop(0) if hook.statuses else 200
                if status == 200:
                    hook.bodies.append(json.loads(body))
                hook.auth.append(self.headers.get("Authorization", ""))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,))

    def __enter__(self) -> Hook:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def test_webhook_posts_in_order_retries_5xx_and_fails_4xx(tmp_path):
    # first try of row 1: 503 (retried), row 1 again: 200, row 2: 413 (failed), row 3: 200
    with Hook([503, 200, 413, 200]) as hook, Gateway(
        name="gw", port=0, db=tmp_path / "g.db",
        routes=(f"http://app:s3cret@127.0.0.1:{hook.port}/in",),
    ) as gw:
        for text in ("one", "two", "three"):
            send(gw, CREDS[0], text)
        wait_until(lambda: len(hook.bodies) == 2, what="two accepted posts")
        wait_until(lambda: gw.route_status()[0].pending == 0, what="all settled")
        assert [b["data"] for b in hook.bodies] == ["one", "three"]
        assert hook.bodies[0]["id"] == "gw:message:1" and hook.bodies[0]["gateway"] == "gw"
        assert hook.auth[0] == "Basic YXBwOnMzY3JldA=="
        status = gw.route_status()[0]
        assert (status.forwarded, status.failed) == (2, 1)
        assert status.name == f"http://127.0.0.1:{hook.port}/in"  # no password in the name
        assert gw.ledger.states("message", [2])[2][status.name] == (
            "failed", f"HTTP 413 {HTTPStatus(413).phrase}")  # 3.13: "Content Too Large"


def test_rows_stored_before_a_route_existed_are_not_sent_to_it(tmp_path):
    with Gateway(name="gw", port=0, db=tmp_path / "g.db") as gw:
        send(gw, CREDS[0], "before")
    with Hook([]) as hook, Gateway(
        name="gw", port=0, db=tmp_path / "g.db", routes=(f"http://127.0.0.1:{hook.port}/",)
    ) as gw:
        send(gw, CREDS[0], "after")
        wait_until(lambda: hook.bodies, what="the post")
        wait_until(lambda: gw.route_status()[0].forwarded == 1, what="forwarded")
        assert [b["data"] for b in hook.bodies] == ["after"]
        assert gw.route_status()[0].pending == 0


@pytest.mark.parametrize("url, message", [
    ("broker:1883", "is not a URL"),
    ("amqp://h:5672", "scheme 'amqp' is unknown; valid: http, https, mqtt, mqtts"),
    ("mqtt://:1883", "has no host"),
    ("mqtt://h:99999", "the port must be 1..65535"),
    ("mqtt://u:pw@h:x", "the port must be 1..65535"),
])
def test_bad_route_urls_are_one_line_configuration_errors(url, message):
    with pytest.raises(ConfigurationError, match=message) as caught:
        make_route(url, "gw")
    assert "\n" not in str(caught.value) and "pw" not in str(caught.value)


def test_route_urls_defaults_and_credentials_from_the_environment():
    assert VALID_ROUTE_SCHEMES == {"mqtt", "mqtts", "http", "https"}
    url = parse_route_url("mqtt://u%40x:p%3Aw@broker/fleet")
    assert (url.host, url.port, url.path, url.username, url.password) == (
        "broker", 1883, "/fleet", "u@x", "p:w")
    assert url.display == "mqtt://broker:1883/fleet" and "p:w" not in repr(url)
    route = make_route("mqtt://broker:1884", "gw", env={
        "HOLOGRAM_MQTT_USERNAME": "env-user", "HOLOGRAM_MQTT_PASSWORD": "env-pw"})
    try:
        assert route.client._username == b"env-user"  # what paho will send
        assert route.prefix == "hologram"
    finally:
        route.close()
    assert topic_level("a/b+#%") == "a%2Fb%2B%23%25" and topic_level("") == "%00"


def test_ledger_merges_messages_and_sms_in_received_order(tmp_path):
    with CloudStore(tmp_path / "l.db") as store:
        ledger = Ledger(store)
        ledger.register("r")
        store.add_message("d", [], "m1", received=1.0)
        store.add_sms("d", "+1", "s1", received=2.0)
        store.add_message("d", [], "m2", received=3.0)
        items = ledger.pending("r", 0, 0, 10)
        assert [(i.kind, i.data) for i in items] == [("message", "m1"), ("sms", "s1"),
                                                    ("message", "m2")]
        # a full batch of messages: the SMS after its last row must wait
        assert [i.data for i in ledger.pending("r", 0, 0, 1)] == ["m1"]
        assert ledger.counts("r").pending == 3
