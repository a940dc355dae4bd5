"""The real pppd 2.4.9: it accepts the SDK's argument list, and a real run on a
kernel without PPP support is reported as such.

pppd parses its options, checks that it runs as root, then opens /dev/ppp, and
only then honours ``dryrun`` (pppd 2.4.9 main.c). On a kernel without PPP
``pppd <args> dryrun`` therefore exits 4 for a valid argument list and 2 for an
invalid one: the 4 proves that option parsing passed.
"""

import os
import pty
import shutil

import pytest

from hologram_sdk.base.errors import (
    ConfigurationError,
    PermissionDeniedError,
    PPPConnectionError,
    PPPError,
)
from hologram_sdk.network.ppp import PPPOptions, build_pppd_args
from hologram_sdk.network.pppd import PPPRunner, check_pppd_options, default_chat_script

PPPD = "/usr/sbin/pppd"


def _require_pppd():
    assert shutil.which("pppd") or os.path.exists(PPPD), "install the ppp package"
    assert os.geteuid() == 0, "these tests need root (CI runs them as root)"


def _kernel_has_ppp():
    try:
        fd = os.open("/dev/ppp", os.O_RDWR)
    except OSError:
        return False
    os.close(fd)
    return True


@pytest.fixture
def pty_device():
    master, slave = pty.openpty()
    try:
        yield os.ttyname(slave)
    finally:
        os.close(slave)
        os.close(master)


@pytest.mark.root
@pytest.mark.parametrize("options", [
    {},
    {"persist": True, "lock": False, "default_route": False, "use_peer_dns": False},
    {"apn": None, "baud_rate": "115200", "chat_log_to_stderr": False},
])
def test_real_pppd_accepts_the_sdk_argument_list(pty_device, options):
    _require_pppd()
    args = build_pppd_args(PPPOptions(pty_device, default_chat_script(), **options))
    code, output = check_pppd_options(args, pppd_path=PPPD)
    if _kernel_has_ppp():
        assert code == 0, output
    else:
        assert code == 4, output
        assert "/dev/ppp" in output


@pytest.mark.root
def test_real_pppd_rejects_a_bad_option_at_parse_time(pty_device):
    _require_pppd()
    args = build_pppd_args(PPPOptions(pty_device, default_chat_script()))
    with pytest.raises(ConfigurationError, match="unrecognized option 'bogusopt'"):
        check_pppd_options([*args[:-1], "bogusopt", "nodetach"], pppd_path=PPPD)


@pytest.mark.root
def test_real_pppd_rejects_a_missing_device(tmp_path):
    _require_pppd()
    missing = "/dev/hologram-no-such-tty"
    args = build_pppd_args(PPPOptions(missing, default_chat_script()))
    with pytest.raises(ConfigurationError, match="unrecognized option"):
        check_pppd_options(args, pppd_path=PPPD)


@pytest.mark.root
def test_real_pppd_run_without_kernel_ppp_is_a_clear_error(pty_device):
    _require_pppd()
    if _kernel_has_ppp():
        pytest.skip("this kernel has PPP support: a real run would dial")
    downs = []
    args = build_pppd_args(PPPOptions(pty_device, default_chat_script()))
    with PPPRunner(args, pppd_path=PPPD, on_down=downs.append) as runner:
        runner.start()
        with pytest.raises(PPPConnectionError) as info:
            runner.wait_up(timeout=10)
        assert runner.returncode == 4
    error = info.value
    assert error.code == 4
    assert "the kernel has no PPP support (/dev/ppp missing)" in str(error)
    assert "load ppp_generic or use serial mode" in str(error)
    assert "Couldn't open the /dev/ppp device" in error.output
    assert downs == [error]


def test_not_root_is_refused_before_anything_runs(pty_device):
    args = build_pppd_args(PPPOptions(pty_device, default_chat_script()))
    with PPPRunner(args, pppd_path=PPPD, geteuid=lambda: 1000) as runner:
        with pytest.raises(PermissionDeniedError, match=r"needs root.*uid 1000.*serial mode"):
            runner.start()
        assert runner.pid is None


def test_missing_pppd_says_to_install_ppp(pty_device, tmp_path):
    args = build_pppd_args(PPPOptions(pty_device, default_chat_script()))
    with PPPRunner(args, pppd_path=str(tmp_path / "pppd"), geteuid=lambda: 0) as runner:
        with pytest.raises(PPPError, match="install the ppp package"):
            runner.start()
    with pytest.raises(PPPError, match="install the ppp package"):
        check_pppd_options(args, pppd_path=str(tmp_path / "pppd"))
