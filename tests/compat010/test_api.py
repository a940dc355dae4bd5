"""``Hologram.Api`` over HTTP (urllib) against a real loopback HTTP server."""
# ruff: noqa: N815, RUF059

from __future__ import annotations

import base64
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from Exceptions.HologramError import ApiError
from hologram_sdk.compat.api import HOLOGRAM_REST_API_BASEURL, Api, UrllibClient


class FakeRestApi:
    """A test double of the REST API: records requests, answers from a table."""

    def __init__(self):
        self.requests = []
        self.answers = {}
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                url = urllib.parse.urlsplit(self.path)
                api.requests.append((self.command, url.path, dict(urllib.parse.parse_qsl(
                    url.query)), body, self.headers.get("Authorization")))
                status, payload = api.answers.get((self.command, url.path), (404, "no"))
                data = payload.encode() if isinstance(payload, str) else json.dumps(
                    payload).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/1"
        self.thread = threading.Thread(target=self.server.serve_forever)
        self.thread.start()

    def close(self):
        if not self.thread.is_alive():
            return
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def rest():
    server = FakeRestApi()
    yield server
    server.close()


def test_credentials_are_required():
    for kwargs in ({}, {"username": "user"}, {"password": "pw"}):
        with pytest.raises(ApiError, match="Must specify valid HTTP authentication credentials"):
            Api(**kwargs)
    assert Api(apikey="k").base_url == HOLOGRAM_REST_API_BASEURL
    assert "secret-key-123" not in repr(Api(apikey="secret-key-123"))


def test_activate_sim(rest):
    api = Api(apikey="123apikey", base_url=rest.url, http=UrllibClient())
    rest.answers[("POST", "/api/1/links/cellular/sim_8910/claim")] = (
        200, {"success": True, "order_data": {"id": 7}})
    assert api.activateSIM("8910", plan=12, zone=2) == (True, {"id": 7})
    method, path, query, body, auth = rest.requests[-1]
    assert (method, query, auth) == ("POST", {"apikey": "123apikey"}, None)
    assert urllib.parse.parse_qs(body) == {"plan": ["12"], "tier": ["2"]}

    rest.answers[("POST", "/api/1/links/cellular/sim_8910/claim")] = (
        200, {"success": False, "data": {"8910": "Activation failed"}})
    assert api.activateSIM("8910", preview=True) == (False, "Activation failed")
    assert rest.requests[-1][2] == {"apikey": "123apikey", "preview": "1"}

    rest.answers[("POST", "/api/1/links/cellular/sim_8910/claim")] = (429, "Too many requests")
    assert api.activateSIM("8910") == (False, "Too many requests")


def test_plans_and_sim_state_with_basic_auth(rest):
    api = Api(username="user", password="pw", base_url=rest.url, http=UrllibClient())
    rest.answers[("GET", "/api/1/plans")] = (200, {"success": True, "data": [{"id": 1}]})
    assert api.getPlans() == (True, [{"id": 1}])
    token = base64.b64encode(b"user:pw").decode()
    assert rest.requests[-1][4] == f"Basic {token}"
    rest.answers[("GET", "/api/1/links/cellular")] = (200, {"success": True,
                                                            "data": [{"state": "LIVE"}]})
    assert api.getSIMState("8910") == (True, "LIVE")
    assert rest.requests[-1][2] == {"sim": "8910"}


def test_errors_are_typed(rest):
    api = Api(apikey="k", base_url=rest.url, http=UrllibClient())
    rest.answers[("GET", "/api/1/plans")] = (500, "boom")
    with pytest.raises(ApiError, match="HTTP 500"):
        api.getPlans()
    rest.answers[("GET", "/api/1/plans")] = (200, "not json")
    with pytest.raises(ApiError, match="did not answer JSON"):
        api.getPlans()
    rest.answers[("GET", "/api/1/links/cellular")] = (200, {"success": True, "data": []})
    with pytest.raises(ApiError, match="knows no SIM"):
        api.getSIMState("1")
    rest.close()
    with pytest.raises(ApiError, match="cannot reach the API"):
        Api(apikey="k", base_url=rest.url, http=UrllibClient(timeout=2)).getPlans()
