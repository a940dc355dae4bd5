"""0.10's network names: NetworkManager's words, the non-cellular stand-ins,
``network='cellular'``, and ModemMode over our pppd runner."""

from __future__ import annotations

import pytest
from hologram_sdk.base.events import Event


def test_network_manager_0_10_surface():
    from Hologram.Network import NetworkManager

    manager = NetworkManager.NetworkManager(None, "")
    assert manager.networkActive and repr(manager) == "Network Agnostic Mode"
    assert manager.network is None
    manager.networkDisconnected()
    assert manager.networkActive is False and manager.getConnectionStatus() == 0
    manager.networkConnected()
    assert manager.networkActive
    for bad in ("invalid", "invalid-ppp"):
        with pytest.raises(ValueError, match=f"Invalid network type: {bad}"):
            NetworkManager(None, bad)
    # the reference's list is unchanged; 0.10's names are accepted besides it
    assert "cellular" not in manager.listAvailableInterfaces()


@pytest.mark.parametrize(("name", "shown"), [("ethernet", "Ethernet"), ("wifi", "Wifi"),
                                             ("ble", "BLE")])
def test_stub_networks_are_non_network_mode_under_their_name(name, shown):
    from Hologram.CustomCloud import CustomCloud

    events = []
    with CustomCloud(None, network=name, outbox=False) as cloud:
        cloud.event.subscribe("network.connected", lambda *a: events.append("up"))
        assert cloud.network_type == shown and cloud.network.is_connected
        assert cloud.network.connect() and events == ["up"]


def test_cellular_finds_no_modem_and_says_so(tmp_path):
    from Exceptions.HologramError import NetworkError
    from Hologram.Network import NetworkManager

    manager = NetworkManager(Event(), "cellular", sysfs_root=str(tmp_path),
                             dev_root=str(tmp_path))
    assert repr(manager) == "Cellular"  # constructing touches nothing
    with pytest.raises(NetworkError, match="Modem not detected"):
        manager.modem  # noqa: B018
    manager.close()


def test_ethernet_wifi_network_classes():
    from Hologram.Network import BLE, Ethernet, Network, Wifi

    events = []
    bus = Event()
    bus.subscribe("ethernet.connected", lambda *a: events.append("eth"))
    eth = Ethernet(interfaceName="eth2", event=bus)
    assert eth.interfaceName == "eth2" and eth.isConnected()
    assert eth.connect() and events == ["eth"]
    with pytest.raises(NotImplementedError, match="Ethernet mode doesn't support this call"):
        eth.getAvgSignalStrength()
    with pytest.raises(NotImplementedError, match="Must instantiate a defined Network type"):
        Network().getSignalStrength()
    assert Wifi().getSSID() == "" and BLE().reconnect()


def test_modem_modes(tmp_path):
    from Hologram.Network.Modem.ModemMode import MockPPP, ModemMode

    mode = ModemMode(device_name="/dev/ttyUSB2", baud_rate="115200")
    assert (mode.device_name, mode.baud_rate, repr(mode)) == ("/dev/ttyUSB2", "115200",
                                                             "ModemMode")
    with pytest.raises(ValueError, match="Must specify chatscript file"):
        MockPPP()
    mock = MockPPP(chatscript_file="chat")
    assert mock.connect_script == "/usr/sbin/chat -v -f chat" and not mock.connect()
    assert mock.localIPAddress is None


def test_ppp_runs_our_pppd_runner(emulator, pppd_double):
    """PPP over the SDK's runner: real chat against the modem emulator, the network
    tests' pppd TEST DOUBLE as pppd (no kernel PPP needed)."""
    from Hologram.Network.Modem.ModemMode import PPP
    from hologram_sdk.network.pppd import PPPRunner, default_chat_script
    from tests.network.conftest import require_chat

    require_chat()
    emu = emulator("e303")
    double = pppd_double(local="100.64.1.2", remote="100.64.1.1")
    ppp = PPP(device_name=emu.device, chatscript_file=default_chat_script(),
              runner_factory=lambda options: PPPRunner(options, pppd_path=double,
                                                       geteuid=lambda: 0))
    assert ppp.connect(timeout=15)
    assert ppp.isConnected()
    assert (ppp.localIPAddress, ppp.remoteIPAddress) == ("100.64.1.2", "100.64.1.1")
    assert ppp.disconnect() and not ppp.isConnected()
    assert ppp.localIPAddress is None
    ppp.disconnect()
