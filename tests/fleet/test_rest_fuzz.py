"""Nothing a client sends to the REST API crashes it or gets a 500."""

from __future__ import annotations

import http.client
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hologram_sdk.emulator.cloud.gateway import Gateway
from tests.support.fuzz import fuzz_share

KEY = "fuzz-key"
PATHS = ["/api/1/devices/messages", "/api/1/devices/sensor-1/messages", "/api/1/sms/incoming",
         "/api/1/links/cellular/sim_89445001021983048260/claim"]
GETS = ["/api/1/csr/rdm?limit={}", "/api/1/devices/{}", "/api/1/to-device?state={}",
        "/api/1/devices/sensor-1/messages?startafter={}"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["deviceids", "data", "base64data", "deviceid", "body", "plan"])
        | st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz")
    devices = path / "devices.hjson"
    devices.write_text('[{name: "sensor-1", devicekey: "k3y0f8ch"}]')
    with Gateway(name="fz", port=0, db=path / "g.db", devices=devices, http_port=0,
                 api_key=KEY, to_device_ttl=0.1) as gw:
        yield gw


def request(gw: Gateway, method: str, path: str, body: bytes = b"") -> int:
    host, port = gw.http_url.split("//")[1].rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        sep = "&" if "?" in path else "?"
        conn.request(method, f"{path}{sep}apikey={KEY}", body=body or None,
                     headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        data = response.read()
        assert json.loads(data)["success"] in (True, False)
        return response.status
    finally:
        conn.close()


@pytest.mark.allow_leaks  # the module's gateway outlives each example
@fuzz_share(4)
@given(st.sampled_from(PATHS), json_values | st.binary(max_size=64).map(lambda b: b))
def test_any_body_gets_a_json_answer_never_a_500(gateway, path, value):
    body = value if isinstance(value, bytes) else json.dumps(value).encode()
    assert request(gateway, "POST", path, body) in (200, 400, 404)


@pytest.mark.allow_leaks
@fuzz_share(4)
@given(st.sampled_from(GETS), st.text(max_size=20))
def test_any_query_gets_a_json_answer_never_a_500(gateway, template, text):
    import urllib.parse

    path = template.format(urllib.parse.quote(text, safe=""))
    assert request(gateway, "GET", path) in (200, 400, 404)
    assert request(gateway, "GET", "/health") == 200
