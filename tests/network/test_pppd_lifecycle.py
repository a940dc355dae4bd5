"""PPPRunner over a pppd TEST DOUBLE (kernel PPP is missing here).

The double (tests/network/pppd_double.py) runs the SDK's real connect string --
the real chat with the shipped script -- on the modem emulator's pty, then
prints pppd's own output lines. So the argument list, chat, the output parsing,
the exit-code mapping and the process handling (signals, timeouts, reaping) are
all exercised; only LCP/IPCP negotiation is not.
"""

import os
import signal
import subprocess
import threading

import pytest

from hologram_sdk.base.errors import PPPConnectionError, PPPError
from hologram_sdk.network.ppp import PPPOptions
from hologram_sdk.network.pppd import PPPRunner, PPPState, default_chat_script
from tests.network.conftest import require_chat

pytestmark = pytest.mark.root

LOCAL, REMOTE = "10.170.12.34", "10.64.64.64"


def root():
    """The double needs no privilege; the runner's root check is tested elsewhere."""
    return 0


class Recorder:
    def __init__(self):
        self.ups, self.downs, self.lines = [], [], []
        self.down = threading.Event()

    def on_up(self, link):
        self.ups.append(link)

    def on_down(self, error):
        self.downs.append(error)
        self.down.set()


def make_runner(emu, double, rec=None, script=None, **kwargs):
    rec = rec or Recorder()
    options = PPPOptions(emu.device, script or default_chat_script())
    return PPPRunner(options, pppd_path=double, geteuid=root, on_up=rec.on_up,
                     on_down=rec.on_down, **kwargs), rec


def assert_reaped(pid):
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def test_link_up_reports_addresses_unswapped_then_stops_cleanly(emulator, pppd_double):
    require_chat()
    emu = emulator("e303")
    double = pppd_double(local="100.64.1.2", remote="100.64.1.1", dns1="1.1.1.1", dns2="9.9.9.9")
    runner, rec = make_runner(emu, double)
    with runner:
        runner.start()
        link = runner.wait_up(timeout=15)
        assert (link.local_ip, link.remote_ip) == ("100.64.1.2", "100.64.1.1")
        assert link.dns == ("1.1.1.1", "9.9.9.9")
        assert link.interface == "ppp0"
        assert runner.state is PPPState.UP and runner.running
        assert rec.ups == [link]
        assert emu.in_data_mode
        pid = runner.pid
        assert runner.stop() == 5
        assert runner.stop() == 5
        assert runner.state is PPPState.EXITED and not runner.running
    assert_reaped(pid)
    assert rec.downs == [None]
    assert runner.error is None
    assert "Terminating on signal 15" in runner.output
    assert "Connection terminated." in runner.output
    assert "CONNECT" in runner.output  # chat's REPORT line reached pppd's output


def test_peer_without_address_uses_pppds_default(emulator, pppd_double):
    require_chat()
    emu = emulator("iota")
    runner, _ = make_runner(emu, pppd_double(no_remote=True, remote=REMOTE))
    with runner:
        runner.start()
        link = runner.wait_up(timeout=15)
    assert (link.local_ip, link.remote_ip) == (LOCAL, REMOTE)
    assert "Could not determine remote IP address" in runner.output


@pytest.mark.parametrize(("dial", "reason"), [
    ("BUSY", "the modem answered BUSY"),
    ("NO CARRIER", "the modem answered NO CARRIER"),
])
def test_failed_dial_is_exit_8_with_chats_reason(emulator, pppd_double, dial, reason):
    require_chat()
    emu = emulator("e303", dial_result=dial)
    runner, rec = make_runner(emu, pppd_double())
    with runner:
        runner.start()
        with pytest.raises(PPPConnectionError) as info:
            runner.wait_up(timeout=15)
    error = info.value
    assert error.code == 8
    assert str(error) == f"pppd exit 8: the connect script failed: {reason}"
    assert "Connect script failed" in error.output
    assert rec.downs == [error] and rec.ups == []
    assert runner.returncode == 8


def test_modem_error_is_exit_8_with_chat_timeout(emulator, pppd_double, short_timeout_script):
    require_chat()
    emu = emulator("e303", dial_result="ERROR")
    runner, _ = make_runner(emu, pppd_double(), script=short_timeout_script(1))
    with runner:
        runner.start()
        with pytest.raises(PPPConnectionError, match="expected answer in time") as info:
            runner.wait_up(timeout=15)
    assert info.value.code == 8


def test_modem_hangup_is_reported_as_exit_16(emulator, pppd_double):
    require_chat()
    emu = emulator("e303")
    runner, rec = make_runner(emu, pppd_double())
    with runner:
        runner.start()
        runner.wait_up(timeout=15)
        assert emu.hang_up()
        assert rec.down.wait(10)
        assert runner.wait(5) == 16
    error = rec.downs[0]
    assert isinstance(error, PPPConnectionError)
    assert error.code == 16
    assert "the modem hung up" in str(error)
    assert runner.error is error
    assert "Modem hangup" in runner.output


def test_lcp_timeout_is_exit_10(emulator, pppd_double):
    require_chat()
    emu = emulator("e303")
    runner, _ = make_runner(emu, pppd_double(mode="lcp-timeout"))
    with runner:
        runner.start()
        with pytest.raises(PPPConnectionError, match="negotiation failed") as info:
            runner.wait_up(timeout=15)
    assert info.value.code == 10


def test_timeout_terminates_pppd_and_leaves_no_zombie(emulator, pppd_double):
    require_chat()
    emu = emulator("e303")
    runner, rec = make_runner(emu, pppd_double(mode="hang"))
    with runner:
        runner.start()
        with pytest.raises(PPPError, match="did not come up within 1 s; pppd was stopped"):
            runner.wait_up(timeout=1)
        pid = runner.pid
        assert runner.returncode == 5
        assert not runner.running
    assert_reaped(pid)
    assert rec.downs == [None]


def test_sigterm_ignored_escalates_to_sigkill(emulator, pppd_double):
    require_chat()
    emu = emulator("e303")
    runner, rec = make_runner(emu, pppd_double(mode="hang", ignore_term=True),
                              terminate_grace=0.3)
    with runner:
        runner.start()
        with pytest.raises(PPPError, match="did not come up"):
            runner.wait_up(timeout=1)
        assert runner.returncode == -signal.SIGKILL
        pid = runner.pid
    assert_reaped(pid)
    assert rec.downs == [None]


def test_stop_only_touches_its_own_pppd(emulator, pppd_double):
    """Another process that looks like pppd (even our double) survives our stop()."""
    require_chat()
    emu1, emu2 = emulator("e303"), emulator("ms2131")
    double = pppd_double()
    stranger = subprocess.Popen(
        [double, "connect", "true", emu2.device, "9600", "nodetach"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        runner, _ = make_runner(emu1, double)
        with runner:
            runner.start()
            runner.wait_up(timeout=15)
            runner.stop()
        assert stranger.poll() is None
    finally:
        stranger.terminate()
        assert stranger.wait(10) == 5


def test_close_from_the_down_callback_does_not_deadlock(emulator, pppd_double):
    require_chat()
    emu = emulator("e303", dial_result="BUSY")
    closed = threading.Event()
    holder = {}

    def on_down(error):
        holder["runner"].close()
        closed.set()

    runner = PPPRunner(PPPOptions(emu.device, default_chat_script()), pppd_path=pppd_double(),
                       geteuid=root, on_down=on_down)
    holder["runner"] = runner
    runner.start()
    assert closed.wait(15)
    runner.close()
    assert runner.returncode == 8


def test_start_twice_and_after_close_are_errors(emulator, pppd_double):
    require_chat()
    emu = emulator("e303")
    runner, _ = make_runner(emu, pppd_double())
    with runner:
        runner.start()
        with pytest.raises(PPPError, match="already started"):
            runner.start()
        runner.wait_up(timeout=15)
    runner.close()
    with pytest.raises(PPPError, match="closed"):
        runner.start()


def test_wait_up_before_start_is_an_error(pppd_double):
    with PPPRunner(["/dev/null"], pppd_path=pppd_double(), geteuid=root) as runner:
        with pytest.raises(PPPError, match="not started"):
            runner.wait_up(1)
        assert runner.stop() is None
