"""NetworkManager through the clouds: interfaces, events, status, and serial mode end to end.

Serial mode: SDK -> modem emulator on a pty (+USOCR/+USOCO/+USOWR, +UUSORD,
+USOLI) -> the emulator's socket bridge -> LocalCloud on loopback -> stored.
"""

import os
import threading
import time

import pytest

from hologram_sdk.base.errors import (
    CloudConnectionError,
    ConfigurationError,
    PermissionDeniedError,
    UnknownInterfaceError,
)
from hologram_sdk.base.events import (
    CELLULAR_CONNECTED,
    CELLULAR_DISCONNECTED,
    NETWORK_CONNECTED,
    NETWORK_DISCONNECTED,
    Event,
)
from hologram_sdk.cloud.custom import CustomCloud
from hologram_sdk.cloud.hologram import HologramCloud
from hologram_sdk.emulator.cloud import LocalCloud
from hologram_sdk.modem.e303 import E303
from hologram_sdk.modem.iota import IOTA
from hologram_sdk.network.cellular import Cellular, ReconnectPolicy
from hologram_sdk.network.manager import NetworkManager, supported_interfaces
from tests.network.conftest import require_chat
from tests.support.net import free_port, wait_for

CREDS = {"cloud_id": "ab12", "cloud_key": "cd34"}


def record(bus, *names):
    seen = []
    lock = threading.Lock()
    for name in names:
        def add(payload, name=name):
            with lock:
                seen.append((name, payload))
        bus.subscribe(name, add)
    return seen


# --- interfaces ----------------------------------------------------------------------------


def test_interfaces_and_unknown_names():
    manager = NetworkManager(Event())
    assert manager.listAvailableInterfaces() == [
        "", "cellular-e303", "cellular-iota", "cellular-ms2131"]
    with pytest.raises(UnknownInterfaceError, match="cellular-e303"):
        NetworkManager(Event(), "cellular-nokia")
    assert supported_interfaces() == [
        "", "ble", "cellular", "cellular-bg96", "cellular-e303", "cellular-e372",
        "cellular-ec21", "cellular-ec25", "cellular-iota", "cellular-ms2131", "cellular-nova",
        "cellular-novam", "ethernet", "wifi"]
    for name in supported_interfaces():
        NetworkManager(Event(), name).close()  # accepted; nothing touched


def test_non_network_mode_status_and_events():
    bus = Event()
    seen = record(bus, NETWORK_CONNECTED, NETWORK_DISCONNECTED)
    manager = NetworkManager(bus, "")
    assert manager.getConnectionStatus() == 1 and manager.is_connected
    assert manager.disconnect() is True
    assert manager.getConnectionStatus() == 0 and not manager.is_connected
    assert manager.reconnect() is True
    assert [name for name, _ in seen] == [NETWORK_DISCONNECTED, NETWORK_DISCONNECTED,
                                          NETWORK_CONNECTED]
    assert manager.cellular is None and manager.transport is None
    assert manager.localIPAddress is None


@pytest.mark.parametrize(("interface", "cls", "device"), [
    ("cellular-e303", "E303", "/dev/ttyUSB0"),
    ("cellular-ms2131", "MS2131", "/dev/ttyUSB0"),
    ("cellular-iota", "IOTA", "/dev/ttyACM0"),
])
def test_cloud_with_a_cellular_network_touches_nothing(interface, cls, device):
    """No modem given: the interface's default modem, built lazily, in 'ppp' mode."""
    cloud = HologramCloud(CREDS, network=interface, enable_inbound=False, outbox=False)
    try:
        assert cloud.network.interface == interface
        assert cloud.network.getConnectionStatus() == 0
        assert not cloud.network.is_connected
        assert cloud.network.transport is None  # PPP: the host's TCP stack
        if not os.path.exists(device):
            return  # the modem would be searched for on USB: not on this machine
        modem = cloud.network.modem
        assert type(modem).__name__ == cls and modem.deviceName == device
    finally:
        cloud.close()


def test_given_modem_is_used_and_not_touched_at_construction(emulator):
    emu = emulator("iota")
    modem = IOTA(mode="serial", deviceName=emu.device)
    cloud = HologramCloud(CREDS, network="cellular-iota", modem=modem, receive_host="127.0.0.1",
                          receive_port=free_port(), outbox=False)  # inbound on: deferred
    try:
        assert cloud.network.modem is modem
        assert isinstance(cloud.network.cellular, Cellular)
        assert cloud.network.cellular.modem is modem
        time.sleep(0.1)
        assert emu.log == []  # nothing sent to the modem yet
    finally:
        cloud.close()
        modem.close()


def test_configure_only_before_first_use(emulator):
    emu = emulator("iota")
    modem = IOTA(mode="serial", deviceName=emu.device)
    with NetworkManager(Event(), "cellular-iota", modem=modem) as manager:
        manager.configure(apn="apn.example")
        assert manager.cellular.apn == "apn.example"
        with pytest.raises(ConfigurationError):
            manager.configure(apn="other")
    modem.close()


# --- status codes through the manager ---------------------------------------------------------


@pytest.mark.parametrize(("setting", "status"), [
    ({"sim": "absent"}, 3), ({"rssi": 99}, 5), ({"registration": "denied"}, 5), ({}, 1),
])
def test_status_codes_through_the_cloud(emulator, setting, status):
    emu = emulator("iota", **setting)
    modem = IOTA(mode="serial", deviceName=emu.device)
    cloud = CustomCloud(None, network="cellular-iota", modem=modem, outbox=False)
    seen = record(cloud.event, NETWORK_CONNECTED)
    try:
        assert cloud.network.connect(timeout=20) is (status == 1)
        assert cloud.network.getConnectionStatus() == status
        assert len(seen) == (1 if status == 1 else 0)
        assert cloud.network.status_reason
        cloud.network.disconnect()
        assert cloud.network.getConnectionStatus() == 0
    finally:
        cloud.close()
        modem.close()


def test_ppp_without_root_fails_clearly(emulator):
    emu = emulator("e303")
    modem = E303(deviceName=emu.device)
    cloud = CustomCloud(None, network="cellular-e303", modem=modem, outbox=False)
    cloud.network.configure(geteuid=lambda: 1000)
    try:
        with pytest.raises(PermissionDeniedError, match="needs root"):
            cloud.network.connect()
        assert cloud.network.getConnectionStatus() == 12
    finally:
        cloud.close()
        modem.close()


@pytest.mark.root
def test_ppp_link_events_drop_and_reconnect_through_the_cloud(emulator, pppd_double):
    require_chat()
    emu = emulator("e303")
    modem = E303(deviceName=emu.device)
    cloud = CustomCloud(None, network="cellular-e303", modem=modem, outbox=False)
    cloud.network.configure(
        pppd_path=pppd_double(local="100.64.9.2", remote="100.64.9.1"),
        reconnect=ReconnectPolicy(initial_delay=0.05, jitter=0.0),
    )
    seen = record(cloud.event, NETWORK_CONNECTED, NETWORK_DISCONNECTED, CELLULAR_CONNECTED,
                  CELLULAR_DISCONNECTED)
    try:
        assert cloud.network.connect(timeout=20) is True
        assert cloud.network.getConnectionStatus() == 1
        assert cloud.network.localIPAddress == "100.64.9.2"
        assert cloud.network.remoteIPAddress == "100.64.9.1"
        assert emu.hang_up()
        assert wait_for(lambda: [n for n, _ in seen].count(NETWORK_CONNECTED) == 2)
        names = [n for n, _ in seen]
        assert names == [CELLULAR_CONNECTED, NETWORK_CONNECTED, CELLULAR_DISCONNECTED,
                         NETWORK_DISCONNECTED, CELLULAR_CONNECTED, NETWORK_CONNECTED]
        assert "the modem hung up" in seen[3][1]["reason"]
        assert seen[1][1]["local_ip"] == "100.64.9.2"
        assert cloud.network.disconnect() is True
        assert cloud.network.getConnectionStatus() == 0
        assert [n for n, _ in seen][-2:] == [CELLULAR_DISCONNECTED, NETWORK_DISCONNECTED]
    finally:
        cloud.close()
        modem.close()


@pytest.mark.root
def test_ppp_dial_busy_is_status_12_through_the_cloud(emulator, pppd_double):
    require_chat()
    emu = emulator("e303", dial_result="BUSY")
    modem = E303(deviceName=emu.device)
    cloud = CustomCloud(None, network="cellular-e303", modem=modem, outbox=False)
    cloud.network.configure(pppd_path=pppd_double())
    try:
        assert cloud.network.connect(timeout=20) is False
        assert cloud.network.getConnectionStatus() == 12
        assert "BUSY" in cloud.network.status_reason
    finally:
        cloud.close()
        modem.close()


# --- serial mode end to end --------------------------------------------------------------------


def test_serial_mode_message_sms_and_inbound_end_to_end(emulator):
    emu = emulator("iota")
    modem = IOTA(mode="serial", deviceName=emu.device)
    inbound_port = free_port()
    with LocalCloud(port=0) as local:
        cloud = HologramCloud(
            CREDS, network="cellular-iota", modem=modem, send_host="127.0.0.1",
            send_port=local.port, receive_host="127.0.0.1", receive_port=inbound_port,
            outbox=False,
        )
        try:
            with pytest.raises(CloudConnectionError, match=r"serial mode.*down"):
                cloud.sendMessage("too early", timeout=2)
            assert local.messages() == []
            assert cloud.network.connect(timeout=20) is True
            assert cloud.sendMessage("hello over AT sockets", topics=["T1"], timeout=10) == 0
            assert cloud.sendSMS("+15551234567", "sms over AT sockets", timeout=10) == 0
            stored = local.messages()
            assert [(m.data, m.topics) for m in stored] == [("hello over AT sockets", ["T1"])]
            assert [(s.destination, s.text) for s in local.sms()] == [
                ("+15551234567", "sms over AT sockets")]
            assert any(line.startswith("AT+USOCO=") and line.endswith(f'"127.0.0.1",{local.port}')
                       for line in emu.log)
            assert any(line.startswith("AT+USOWR=") for line in emu.log)
            assert any(line.startswith("AT+USORD=") for line in emu.log)

            # inbound: the cloud pushes to the device's port, which the modem listens on
            assert any(line.startswith("AT+USOLI=") and line.endswith(f",{inbound_port}")
                       for line in emu.log)
            local.push("127.0.0.1", inbound_port, "hello device")
            assert wait_for(lambda: cloud.popReceivedMessage() == "hello device")
        finally:
            cloud.close()
            modem.close()


def test_outbox_holds_messages_while_the_link_is_down_and_delivers_on_connect(
        emulator, tmp_path):
    """Queued while the serial link is down; delivered through the modem on connect()."""
    emu = emulator("iota")
    modem = IOTA(mode="serial", deviceName=emu.device)
    with LocalCloud(port=0) as local:
        cloud = HologramCloud(CREDS, network="cellular-iota", modem=modem, enable_inbound=False,
                              send_host="127.0.0.1", send_port=local.port,
                              outbox=tmp_path / "outbox.db")
        try:
            queued = record(cloud.event, "message.queued")
            codes = [cloud.sendMessage(f"m{i}", topics=["T"]) for i in range(3)]
            assert codes == [-2, -2, -2]  # ERR_QUEUED
            assert cloud.sendSMS("+15551234567", "queued sms") == -2
            assert len(queued) == 4
            time.sleep(0.2)
            assert local.messages() == [] and local.sms() == []
            assert not any(line.startswith("AT+USO") for line in emu.log)
            assert cloud.network.connect(timeout=20) is True
            assert wait_for(lambda: len(local.messages()) == 3 and len(local.sms()) == 1)
            assert [m.data for m in local.messages()] == ["m0", "m1", "m2"]
            assert local.sms()[0].text == "queued sms"
            assert any(line.startswith("AT+USOWR=") for line in emu.log)  # via the modem
            assert wait_for(lambda: cloud.outbox.count() == 0)
        finally:
            cloud.close()
            modem.close()


def test_without_a_modem_the_one_on_usb_is_found(emulator, tmp_path):
    """No modem given and no /dev/ttyACM0: the IOTA is found in (a fake) sysfs and probed."""
    if os.path.exists("/dev/ttyACM0"):
        pytest.skip("a real /dev/ttyACM0 exists: the default device would be used")
    emu = emulator("iota")
    sysfs, dev = tmp_path / "sys", tmp_path / "dev"
    device_dir = sysfs / "bus" / "usb" / "devices" / "1-1"
    (device_dir / "1-1:1.0" / "tty" / "ttyACM0").mkdir(parents=True)
    (device_dir / "idVendor").write_text("1546\n")
    (device_dir / "idProduct").write_text("1102\n")
    (device_dir / "1-1:1.0" / "bInterfaceNumber").write_text("00\n")
    dev.mkdir()
    (dev / "ttyACM0").symlink_to(emu.device)
    with NetworkManager(Event(), "cellular-iota", sysfs_root=str(sysfs),
                        dev_root=str(dev)) as manager:
        modem = manager.modem
        assert isinstance(modem, IOTA)
        assert modem.deviceName == str(dev / "ttyACM0")
        assert modem.imei == emu.imei


def test_the_reference_modem_connect_goes_through_cellular(emulator):
    emu = emulator("iota")
    modem = IOTA(mode="serial", deviceName=emu.device)
    with NetworkManager(Event(), "cellular-iota", modem=modem) as manager:
        assert manager.cellular.modem is modem
        assert modem.connect(timeout=20) is True  # the reference's IOTA.connect()
        assert manager.getConnectionStatus() == 1 and manager.is_connected
        assert modem.localIPAddress == "10.170.12.34"
        assert modem.disconnect() is True
        assert manager.getConnectionStatus() == 0
    modem.close()


def test_network_cellular_takes_the_first_supported_modem_on_usb(emulator, tmp_path, caplog):
    """network='cellular' (the 0.10 name): sysfs ids from the registry, then AT."""
    from hologram_sdk.base.errors import ModemNotFoundError
    from hologram_sdk.modem.nova import Nova_U201

    emu = emulator("iota")  # the U201's hardware answers on the first CDC-ACM port
    sysfs, dev = tmp_path / "sys", tmp_path / "dev"
    device_dir = sysfs / "bus" / "usb" / "devices" / "1-1"
    (device_dir / "1-1:1.0" / "tty" / "ttyACM0").mkdir(parents=True)
    (device_dir / "idVendor").write_text("1546\n")
    (device_dir / "idProduct").write_text("1102\n")
    (device_dir / "1-1:1.0" / "bInterfaceNumber").write_text("00\n")
    dev.mkdir()
    (dev / "ttyACM0").symlink_to(emu.device)
    with caplog.at_level("INFO"), NetworkManager(
            Event(), "cellular", sysfs_root=str(sysfs), dev_root=str(dev)) as manager:
        modem = manager.modem
        assert type(modem) is Nova_U201
        assert modem.deviceName == str(dev / "ttyACM0")
        assert modem.imei == emu.imei
    assert any("Found Nova_U201" in r.getMessage() and "ttyACM0" in r.getMessage()
               for r in caplog.records)

    empty = tmp_path / "empty"
    empty.mkdir()
    cloud = CustomCloud(None, network="cellular", send_host="127.0.0.1", send_port=free_port(),
                        outbox=False)
    cloud.network.configure(sysfs_root=str(empty), dev_root=str(empty))
    try:
        with pytest.raises(ModemNotFoundError, match=r"looked for e303 12d1:1001, .*bg96 2c7c"):
            cloud.network.connect(timeout=5)
    finally:
        cloud.close()
