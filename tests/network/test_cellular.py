"""Cellular against the modem emulator: every status code from a matching modem state.

PPP mode runs the pppd TEST DOUBLE (which runs the real chat with the shipped
script on the emulator's pty); serial mode (IOTA) needs neither pppd nor root.
"""

import os
import threading

import pytest

from hologram_sdk.base.errors import ConfigurationError, PermissionDeniedError
from hologram_sdk.base.events import CELLULAR_CONNECTED, CELLULAR_DISCONNECTED, Event
from hologram_sdk.modem.e303 import E303
from hologram_sdk.modem.iota import IOTA
from hologram_sdk.network.cellular import (
    CLOUD_CONNECTED,
    CLOUD_DISCONNECTED,
    CLOUD_ERR_CONNECT,
    CLOUD_ERR_SIGNAL,
    CLOUD_ERR_SIM,
    NETWORK_RECONNECT_FAILED,
    NETWORK_RECONNECTING,
    Cellular,
    ReconnectPolicy,
)
from tests.network.conftest import require_chat


class Events:
    """Records every payload broadcast on a bus, per event name."""

    NAMES = (CELLULAR_CONNECTED, CELLULAR_DISCONNECTED, NETWORK_RECONNECTING,
             NETWORK_RECONNECT_FAILED)

    def __init__(self, bus):
        self.seen = []
        self.changed = threading.Condition()
        for name in self.NAMES:
            bus.subscribe(name, lambda payload, name=name: self._add(name, payload))

    def _add(self, name, payload):
        with self.changed:
            self.seen.append((name, payload))
            self.changed.notify_all()

    def names(self):
        with self.changed:
            return [name for name, _ in self.seen]

    def wait_for(self, name, count=1, timeout=15):
        with self.changed:
            return self.changed.wait_for(lambda: self.names_locked().count(name) >= count,
                                         timeout)

    def names_locked(self):
        return [name for name, _ in self.seen]


@pytest.fixture
def cellular_for(emulator, pppd_double):
    """Factory: (emulator, Cellular, Events) in 'ppp' (E303 + double) or 'serial' (IOTA)."""
    made = []

    def make(mode, *, dial_result="CONNECT", reconnect=None, double_options=None,
             modem_timeout=5.0, **settings):
        profile = "e303" if mode == "ppp" else "iota"
        emu = emulator(profile, dial_result=dial_result, **settings)
        modem = (E303(deviceName=emu.device, timeout=modem_timeout) if mode == "ppp"
                 else IOTA(mode="serial", deviceName=emu.device, timeout=modem_timeout))
        bus = Event()
        double = pppd_double(**(double_options or {}))
        cellular = Cellular(modem, event=bus, pppd_path=double,
                            reconnect=reconnect or ReconnectPolicy(enabled=False))
        made.append((cellular, modem))
        return emu, cellular, Events(bus)

    yield make
    for cellular, modem in made:
        cellular.close()
        modem.close()


def _needs(mode):
    if mode == "ppp":
        require_chat()
        assert os.geteuid() == 0, "PPP mode needs root (CI runs as root)"


MODES = [pytest.param("ppp", marks=pytest.mark.root), "serial"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("setting", "reason"), [
    ({"sim": "absent"}, "no SIM card"),
    ({"sim": "pin"}, "needs its PIN"),
    ({"sim": "puk"}, "needs its PUK"),
])
def test_sim_problems_are_status_3(cellular_for, mode, setting, reason):
    _needs(mode)
    emu, cellular, events = cellular_for(mode, **setting)
    assert cellular.connect(timeout=20) is False
    assert cellular.getConnectionStatus() == CLOUD_ERR_SIM == 3
    assert reason in cellular.status_reason
    assert not any(line.startswith("ATD") for line in emu.log)  # never dialled blind
    assert events.names() == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("setting", "reason"), [
    ({"rssi": 99}, "no signal (rssi 99)"),
    ({"registration": "denied"}, "registration denied"),
    ({"registration": "searching"}, "still searching"),
    ({"registration": "not registered"}, "not registered"),
])
def test_no_signal_or_registration_is_status_5(cellular_for, mode, setting, reason):
    _needs(mode)
    emu, cellular, _ = cellular_for(mode, **setting)
    assert cellular.connect(timeout=20) is False
    assert cellular.getConnectionStatus() == CLOUD_ERR_SIGNAL == 5
    assert reason in cellular.status_reason
    assert not any(line.startswith("ATD") for line in emu.log)


@pytest.mark.root
@pytest.mark.parametrize(("dial", "reason"), [
    ("BUSY", "the connect script failed: the modem answered BUSY"),
])
def test_failed_dial_is_status_12(cellular_for, dial, reason):
    _needs("ppp")
    emu, cellular, events = cellular_for("ppp", dial_result=dial)
    assert cellular.connect(timeout=20) is False
    assert cellular.getConnectionStatus() == CLOUD_ERR_CONNECT == 12
    assert reason in cellular.status_reason
    assert "ATDT*99***1#" in emu.log
    assert cellular.localIPAddress is None
    assert events.names() == []


@pytest.mark.root
def test_ppp_connect_and_disconnect_are_status_1_then_0(cellular_for):
    _needs("ppp")
    emu, cellular, events = cellular_for(
        "ppp", double_options={"local": "100.64.0.2", "remote": "100.64.0.1"})
    assert cellular.getConnectionStatus() == CLOUD_DISCONNECTED
    assert cellular.connect(timeout=20) is True
    assert cellular.getConnectionStatus() == CLOUD_CONNECTED == 1
    assert (cellular.localIPAddress, cellular.remoteIPAddress) == ("100.64.0.2", "100.64.0.1")
    assert (cellular.modem.localIPAddress, cellular.modem.remoteIPAddress) == (
        "100.64.0.2", "100.64.0.1")
    assert cellular.dns == ("8.8.8.8", "8.8.4.4")
    assert emu.in_data_mode
    assert cellular.disconnect() is True
    assert cellular.getConnectionStatus() == CLOUD_DISCONNECTED == 0
    assert cellular.localIPAddress is None and cellular.modem.localIPAddress is None
    assert not emu.in_data_mode  # pppd's hang-up put the modem back in command state
    assert events.names() == [CELLULAR_CONNECTED, CELLULAR_DISCONNECTED]
    up = events.seen[0][1]
    assert (up["local_ip"], up["remote_ip"], up["interface"]) == (
        "100.64.0.2", "100.64.0.1", "ppp0")
    assert events.seen[1][1]["expected"] is True
    # the modem answers AT again after the link: a second connect works
    assert cellular.connect(timeout=20) is True
    assert cellular.disconnect() is True


def test_serial_connect_and_disconnect_are_status_1_then_0(cellular_for):
    emu, cellular, events = cellular_for("serial")
    assert cellular.connect(timeout=20) is True
    assert cellular.getConnectionStatus() == CLOUD_CONNECTED
    assert cellular.localIPAddress == "10.170.12.34"  # from AT+UPSND=0,0
    assert cellular.remoteIPAddress is None
    assert cellular.transport is not None
    assert "AT+UPSDA=0,3" in emu.log
    assert cellular.disconnect() is True
    assert cellular.getConnectionStatus() == CLOUD_DISCONNECTED
    assert cellular.transport is None
    assert "AT+UPSDA=0,4" in emu.log
    assert events.names() == [CELLULAR_CONNECTED, CELLULAR_DISCONNECTED]


def test_modem_not_answering_is_status_12(cellular_for):
    emu, cellular, _ = cellular_for("serial", modem_timeout=0.5)
    emu.faults.mute = True
    assert cellular.connect(timeout=5) is False
    assert cellular.getConnectionStatus() == CLOUD_ERR_CONNECT
    assert "does not answer" in cellular.status_reason


def test_ppp_without_root_is_a_clear_error_before_touching_the_modem(emulator):
    emu = emulator("e303")
    modem = E303(deviceName=emu.device)
    with Cellular(modem, geteuid=lambda: 1000) as cellular:
        with pytest.raises(PermissionDeniedError, match="needs root"):
            cellular.connect(timeout=5)
        assert cellular.getConnectionStatus() == CLOUD_ERR_CONNECT
        assert "needs root" in cellular.status_reason
    modem.close()
    assert emu.log == []


def test_chat_script_must_be_executable(emulator, tmp_path):
    script = tmp_path / "script"
    script.write_text("'' AT\n")
    script.chmod(0o644)
    emu = emulator("e303")
    modem = E303(deviceName=emu.device, chatScriptFile=str(script))
    with Cellular(modem, geteuid=lambda: 0) as cellular:
        with pytest.raises(ConfigurationError, match="not executable"):
            cellular.connect(timeout=5)
    modem.close()


def test_serial_mode_needs_a_modem_with_sockets():
    with pytest.raises(ConfigurationError, match="serial mode needs a modem with a socket family"):
        Cellular(type("Fake", (), {"mode": "serial", "socket_family": None})())


@pytest.mark.parametrize("apn", ["", "bad apn", 'x"y'])
def test_bad_apn_is_rejected(apn):
    with pytest.raises(ConfigurationError, match="invalid APN"):
        Cellular(E303(deviceName="/dev/null"), apn=apn)


# --- dropped link and reconnect policy ------------------------------------------------------


@pytest.mark.root
def test_dropped_link_is_reported_and_reconnected(cellular_for):
    _needs("ppp")
    policy = ReconnectPolicy(initial_delay=0.05, max_delay=1.0, jitter=0.0, stable_after=3600)
    emu, cellular, events = cellular_for("ppp", reconnect=policy)
    assert cellular.connect(timeout=20)
    assert emu.hang_up()  # the network ends the call: pppd sees the modem hang up
    assert events.wait_for(CELLULAR_CONNECTED, count=2)
    assert events.names() == [CELLULAR_CONNECTED, CELLULAR_DISCONNECTED, NETWORK_RECONNECTING,
                              CELLULAR_CONNECTED]
    dropped = events.seen[1][1]
    assert dropped["expected"] is False
    assert "the modem hung up" in dropped["reason"]
    assert events.seen[2][1]["delay"] == pytest.approx(0.05)
    assert cellular.getConnectionStatus() == CLOUD_CONNECTED
    # a second quick drop (link not stable yet) backs off further
    assert emu.hang_up()
    assert events.wait_for(CELLULAR_CONNECTED, count=3)
    reconnecting = [p for n, p in events.seen if n == NETWORK_RECONNECTING]
    assert [p["delay"] for p in reconnecting] == pytest.approx([0.05, 0.1])
    assert cellular.disconnect()


@pytest.mark.root
def test_backoff_resets_after_a_stable_link(cellular_for):
    _needs("ppp")
    policy = ReconnectPolicy(initial_delay=0.05, jitter=0.0, stable_after=0.0)
    emu, cellular, events = cellular_for("ppp", reconnect=policy)
    assert cellular.connect(timeout=20)
    for count in (2, 3):
        assert emu.hang_up()
        assert events.wait_for(CELLULAR_CONNECTED, count=count)
    reconnecting = [p for n, p in events.seen if n == NETWORK_RECONNECTING]
    assert [p["level"] for p in reconnecting] == [0, 0]


@pytest.mark.root
def test_reconnect_gives_up_after_max_attempts(cellular_for):
    _needs("ppp")
    policy = ReconnectPolicy(initial_delay=0.01, jitter=0.0, max_attempts=2)
    emu, cellular, events = cellular_for("ppp", reconnect=policy)
    assert cellular.connect(timeout=20)
    emu.faults.dial_result = "BUSY"
    assert emu.hang_up()
    assert events.wait_for(NETWORK_RECONNECT_FAILED, count=2)
    failed = [p for n, p in events.seen if n == NETWORK_RECONNECT_FAILED]
    assert [p["gave_up"] for p in failed] == [False, True]
    assert all(p["status"] == CLOUD_ERR_CONNECT for p in failed)
    assert "BUSY" in failed[-1]["reason"]
    assert cellular.getConnectionStatus() == CLOUD_ERR_CONNECT


@pytest.mark.root
def test_disconnect_cancels_a_pending_reconnect(cellular_for):
    _needs("ppp")
    policy = ReconnectPolicy(initial_delay=30.0, max_delay=30.0, jitter=0.0)
    emu, cellular, events = cellular_for("ppp", reconnect=policy)
    assert cellular.connect(timeout=20)
    assert emu.hang_up()
    assert events.wait_for(NETWORK_RECONNECTING)
    assert cellular.disconnect()  # returns at once, not after 30 s
    assert cellular.getConnectionStatus() == CLOUD_DISCONNECTED


@pytest.mark.parametrize(("attempt", "rand", "expected"), [
    (0, 0.5, 2.0), (1, 0.5, 4.0), (3, 0.5, 16.0), (20, 0.5, 300.0),
    (0, 0.0, 1.5), (0, 0.999999, 2.5), (20, 0.999999, 300.0),
])
def test_backoff_delays_grow_with_jitter_and_cap(attempt, rand, expected):
    policy = ReconnectPolicy()
    assert policy.delay(attempt, rand) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("kwargs", [
    {"initial_delay": -1}, {"max_delay": 1, "initial_delay": 2}, {"multiplier": 0.5},
    {"jitter": 1.5}, {"stable_after": -1}, {"attempt_timeout": 0}, {"max_attempts": 0},
])
def test_bad_policy_is_rejected(kwargs):
    with pytest.raises(ConfigurationError):
        ReconnectPolicy(**kwargs)
