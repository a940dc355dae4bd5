"""Serial mode end to end for each socket family: SDK -> pty -> modem emulator -> local cloud.

Nova U201 (u-blox +UPSD context, +USO* sockets), Nova R410 (u-blox R4: context
from +CGDCONT/+CGACT, no +UPSD) and the Quectel BG96/EC21/EC25 (+QICSGP/+QIACT,
+QIOPEN/+QISENDEX/+QIURC/+QIRD, "TCP LISTENER"): a message, an SMS and an
inbound message each, through the modem's own sockets.
"""

import socket
import threading

import pytest

from hologram_sdk.base.errors import CloudConnectionError
from hologram_sdk.cloud.hologram import HologramCloud
from hologram_sdk.emulator.cloud import LocalCloud
from hologram_sdk.modem.nova import Nova_U201, NovaM
from hologram_sdk.modem.quectel import BG96, EC21, EC25
from tests.support.net import free_port, wait_for

CREDS = {"cloud_id": "ab12", "cloud_key": "cd34"}

#: (emulator profile, driver class, network name, a command only this family sends)
FAMILIES = [
    ("u201", Nova_U201, "cellular-nova", "AT+UPSDA=0,3"),
    ("r410", NovaM, "cellular-novam", "AT+CGPADDR=1"),
    ("bg96", BG96, "cellular-bg96", "AT+QIACT?"),
    ("ec21", EC21, "cellular-ec21", "AT+QIACT?"),
    ("ec25", EC25, "cellular-ec25", "AT+QIACT?"),
]


@pytest.mark.parametrize(("profile", "cls", "network", "marker"), FAMILIES,
                         ids=[f[0] for f in FAMILIES])
def test_message_sms_and_inbound_through_the_modems_sockets(
        emulator, profile, cls, network, marker):
    emu = emulator(profile)
    modem = cls(mode="serial", deviceName=emu.device)
    inbound_port = free_port()
    with LocalCloud(port=0) as local:
        cloud = HologramCloud(
            CREDS, network=network, modem=modem, send_host="127.0.0.1",
            send_port=local.port, receive_host="127.0.0.1", receive_port=inbound_port,
            outbox=False,
        )
        try:
            assert cloud.network.connect(timeout=30) is True
            assert cloud.network.getConnectionStatus() == 1
            assert marker in emu.log  # the family's own data-context command
            if cls is NovaM:
                assert not any(line.startswith("AT+UPSD") for line in emu.log)
            assert cloud.sendMessage("hello via " + profile, topics=["T1"], timeout=15) == 0
            assert cloud.sendSMS("+15551234567", "sms via " + profile, timeout=15) == 0
            assert [(m.data, m.topics) for m in local.messages()] == [
                ("hello via " + profile, ["T1"])]
            assert [(s.destination, s.text) for s in local.sms()] == [
                ("+15551234567", "sms via " + profile)]
            local.push("127.0.0.1", inbound_port, "hello " + profile)
            assert wait_for(lambda: cloud.popReceivedMessage() == "hello " + profile)
            cloud.network.disconnect()
            assert cloud.network.getConnectionStatus() == 0
        finally:
            cloud.close()
            modem.close()


@pytest.fixture
def rude_server():
    """A server that accepts each connection and closes it at once, without a reply."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            conn.close()

    thread = threading.Thread(target=serve)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(5)
    server.close()


@pytest.mark.parametrize(("profile", "cls", "network"), [
    ("bg96", BG96, "cellular-bg96"), ("u201", Nova_U201, "cellular-nova")])
def test_a_socket_closed_before_the_reply_is_a_connection_error_and_the_outbox_keeps_it(
        emulator, rude_server, tmp_path, profile, cls, network):
    modem = cls(mode="serial", deviceName=emulator(profile).device)
    cloud = HologramCloud(CREDS, network=network, modem=modem, enable_inbound=False,
                          send_host="127.0.0.1", send_port=rude_server,
                          outbox=tmp_path / "outbox.db")
    other = cls(mode="serial", deviceName=emulator(profile).device)
    bare = HologramCloud(CREDS, network=network, modem=other, enable_inbound=False,
                         send_host="127.0.0.1", send_port=rude_server, outbox=False)
    try:
        assert cloud.network.connect(timeout=30) is True
        assert cloud.sendMessage("kept", timeout=10) == -2  # ERR_QUEUED: not lost
        assert cloud.outbox.count() == 1
        assert bare.network.connect(timeout=30) is True
        # the modem's word for it varies (+QIURC "closed", SEND FAIL, +CME ERROR: operation
        # not allowed...); the cloud's is one: a connection error
        with pytest.raises(CloudConnectionError, match=r"127\.0\.0\.1"):
            bare.sendMessage("raises", timeout=10)
    finally:
        bare.close()
        cloud.close()
        modem.close()
        other.close()


def test_network_cellular_with_a_given_bg96(emulator):
    """The 0.10 spelling: HologramCloud(..., network='cellular', modem=BG96(...))."""
    modem = BG96(mode="serial", deviceName=emulator("bg96").device)
    with LocalCloud(port=0) as local:
        cloud = HologramCloud(CREDS, network="cellular", modem=modem, enable_inbound=False,
                              send_host="127.0.0.1", send_port=local.port, outbox=False)
        try:
            assert cloud.network.connect(timeout=30) is True
            assert cloud.sendMessage("via cellular", timeout=15) == 0
            assert cloud.sendSMS("+15551234567", "sms via cellular", timeout=15) == 0
            assert [m.data for m in local.messages()] == ["via cellular"]
            assert [s.text for s in local.sms()] == ["sms via cellular"]
        finally:
            cloud.close()
            modem.close()
