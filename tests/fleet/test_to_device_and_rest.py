"""Cloud-to-device through the broker and the REST API, into a real CustomCloud listener."""

from __future__ import annotations

import base64
import http.client
import json

import pytest

from hologram_sdk.cloud.custom import CustomCloud
from hologram_sdk.emulator.cloud.gateway import Gateway
from hologram_sdk.errors import ConfigurationError
from tests.fleet.broker import publish
from tests.fleet.test_mqtt_route import send
from tests.support.net import free_port, wait_until

KEY = "test-api-key"
SENSOR = {"cloud_id": "1d3g", "cloud_key": "5a7b"}


@pytest.fixture
def listener():
    cloud = CustomCloud(None, receive_host="127.0.0.1", receive_port=free_port(),
                        enable_inbound=True)
    yield cloud
    cloud.close()


def devices_file(tmp_path, port: int):
    path = tmp_path / "devices.hjson"
    path.write_text(
        "{devices: [\n"
        f'  {{name: "sensor-1", cloud_id: "1d3g", cloud_key: "5a7b", inbound_port: {port}}}\n'
        '  {name: "tracker", devicekey: "k3y0f8ch"}\n'
        "]}\n"
    )
    return path


def popped(cloud: CustomCloud) -> list[str]:
    out = []
    while (message := cloud.popReceivedMessage()) is not None:
        out.append(message)
    return out


def call(gw: Gateway, method: str, path: str, body=None, key: str = KEY, raw: bytes = b""):
    host, port = gw.http_url.split("//")[1].rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        sep = "&" if "?" in path else "?"
        target = f"{path}{sep}apikey={key}" if key else path
        data = raw or (json.dumps(body).encode() if body is not None else None)
        conn.request(method, target, body=data,
                     headers={"Content-Type": "application/json"} if data else {})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()


def test_to_device_published_on_the_broker_reaches_the_device(broker, tmp_path, listener):
    with Gateway(name="gw", port=0, db=tmp_path / "g.db", routes=(broker.url,),
                 devices=devices_file(tmp_path, listener.receive_port)) as gw:
        send(gw, SENSOR, "hello")  # the gateway learns where the device is
        wait_until(lambda: gw.route_status()[0].forwarded == 1, what="route up")
        publish(broker.port, "hologram/devices/sensor-1/to-device", b"turn on")
        publish(broker.port, "hologram/devices/sensor-1/to-device", b"turn off")
        wait_until(lambda: len(received := popped(listener)) and received, what="delivery")
        wait_until(lambda: gw.to_device.counts().get("delivered") == 2, what="2 delivered")
        rows = gw.to_device.messages("sensor-1")
        assert [(r.data, r.source, r.state) for r in rows] == [
            (b"turn on", "mqtt", "delivered"), (b"turn off", "mqtt", "delivered")]


def test_undeliverable_messages_wait_are_visible_and_expire(tmp_path):
    port = free_port()  # nothing listens there
    with Gateway(name="gw", port=0, db=tmp_path / "g.db", to_device_ttl=1.5,
                 devices=devices_file(tmp_path, port), http_port=0, api_key=KEY) as gw:
        status, body = call(gw, "POST", "/api/1/devices/sensor-1/messages", {"data": "wait"})
        assert (status, body["data"]["state"]) == (200, "pending")
        send(gw, SENSOR, "I am here")  # now the gateway knows the address: it tries
        wait_until(lambda: gw.to_device.messages()[0].attempts >= 1, what="a failed try")
        status, body = call(gw, "GET", "/api/1/to-device?state=pending")
        assert status == 200 and body["data"][0]["data"] == "wait"
        assert f"127.0.0.1:{port}" in body["data"][0]["reason"]
        wait_until(lambda: gw.to_device.messages()[0].state == "expired", what="expiry")


def test_rest_round_trip(tmp_path, listener):
    with Gateway(name="gw", port=0, db=tmp_path / "g.db", http_port=0, api_key=KEY,
                 devices=devices_file(tmp_path, listener.receive_port)) as gw:
        for i in range(7):
            send(gw, SENSOR, f"m{i}")
        status, body = call(gw, "GET", "/api/1/devices")
        assert status == 200 and [d["name"] for d in body["data"]] == ["sensor-1", "tracker"]
        sensor = body["data"][0]
        assert sensor["messages"] == 7 and sensor["last_address"] == "127.0.0.1"
        assert "5a7b" not in json.dumps(body) and "k3y0f8ch" not in json.dumps(body)
        # paging, newest first
        status, page = call(gw, "GET", "/api/1/devices/sensor-1/messages?limit=3")
        assert [m["data"] for m in page["data"]] == ["m6", "m5", "m4"] and page["continues"]
        status, page = call(gw, "GET",
                            f"/api/1/csr/rdm?deviceid=sensor-1&limit=5&startafter={page['lastid']}")
        assert [m["data"] for m in page["data"]] == ["m3", "m2", "m1", "m0"]
        assert not page["continues"]
        # to the device, as Hologram's API takes it (deviceids, data or base64data)
        status, body = call(gw, "POST", "/api/1/devices/messages",
                            {"deviceids": ["sensor-1"], "base64data":
                             base64.b64encode(b"from the api").decode()})
        assert status == 200
        wait_until(lambda: (got := popped(listener)) and got == ["from the api"], what="push")
        status, body = call(gw, "POST", "/api/1/sms/incoming",
                            {"deviceid": "tracker", "body": "hi"})
        assert (status, body["data"]["state"]) == (200, "stored")
        status, body = call(gw, "GET", "/api/1/routes")
        assert status == 200 and body["data"] == [] and body["to_device"]["stored"] == 1


def test_rest_bad_input(tmp_path):
    with Gateway(name="gw", port=0, db=tmp_path / "g.db", http_port=0, api_key=KEY,
                 devices=devices_file(tmp_path, 4010)) as gw:
        assert call(gw, "GET", "/health", key="") == (
            200, {"success": True, "status": "ok", "gateway": "gw"})
        status, body = call(gw, "GET", "/api/1/devices", key="")
        assert status == 401 and body["success"] is False
        assert call(gw, "GET", "/api/1/devices", key="wrong")[0] == 401
        status, body = call(gw, "POST", "/api/1/devices/messages", raw=b"{not json")
        assert status == 400 and "not valid JSON" in body["error"]
        status, body = call(gw, "POST", "/api/1/devices/messages", body=[1, 2])
        assert status == 400
        status, body = call(gw, "GET", "/api/1/devices/nobody")
        assert status == 404 and "nobody" in body["error"]
        assert call(gw, "POST", "/api/1/devices/nobody/messages", {"data": "x"})[0] == 404
        assert call(gw, "GET", "/api/1/csr/rdm?limit=abc")[0] == 400
        assert call(gw, "GET", "/api/1/nothing/here")[0] == 404
        assert call(gw, "DELETE", "/api/1/devices")[0] == 405
        # a request line the standard library refuses still gets JSON, and the server lives
        host, port = gw.http_url.split("//")[1].rsplit(":", 1)
        import socket

        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(b"\x00\xff garbage\r\n\r\n")
            assert b'"success":false' in sock.recv(4096)
        assert call(gw, "GET", "/health", key="")[0] == 200


def test_http_needs_an_api_key():
    with pytest.raises(ConfigurationError, match="needs an API key"):
        Gateway(port=0, http_port=0)


def test_with_two_gateways_the_one_that_saw_the_device_last_delivers(broker, tmp_path, listener):
    devices = devices_file(tmp_path, listener.receive_port)
    with Gateway(name="gw-a", port=0, db=tmp_path / "a.db", routes=(broker.url,),
                 devices=devices) as a, Gateway(
        name="gw-b", port=0, db=tmp_path / "b.db", routes=(broker.url,), devices=devices
    ) as b:
        wait_until(lambda: a.route_status()[0].up and b.route_status()[0].up, what="routes up")
        send(b, SENSOR, "via b")
        wait_until(lambda: a.to_device._seen.get("sensor-1") is not None, what="a learns of b")
        publish(broker.port, "hologram/devices/sensor-1/to-device", b"once")
        wait_until(lambda: b.to_device.counts().get("delivered") == 1, what="b delivers")
        wait_until(lambda: a.to_device.counts().get("elsewhere") == 1, what="a stands down")
        assert popped(listener) == ["once"]
        reason = a.to_device.messages()[0].reason
        assert reason == "gateway gw-b saw the device last"


def test_the_0_10_api_class_works_against_the_local_rest_api(tmp_path):
    from hologram_sdk.compat.api import Api, UrllibClient

    with Gateway(name="gw", port=0, db=tmp_path / "g.db", http_port=0, api_key=KEY) as gw:
        api = Api(apikey=KEY, base_url=f"{gw.http_url}/api/1", http=UrllibClient())
        ok, plans = api.getPlans()
        assert ok and plans[0]["name"] == "local"
        ok, order = api.activateSIM(sim="8944500102198304826", plan=0, zone=1)
        assert ok and order["sims"] == ["8944500102198304826"]
        assert api.getSIMState("8944500102198304826") == (True, "LIVE")
        basic = Api(username="me", password=KEY, base_url=f"{gw.http_url}/api/1",
                    http=UrllibClient())
        assert basic.getPlans()[0] is True
        wrong = Api(apikey="nope", base_url=f"{gw.http_url}/api/1", http=UrllibClient())
        ok, reason = wrong.activateSIM(sim="8944500102198304826")
        assert not ok and "API key" in reason
