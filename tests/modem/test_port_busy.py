"""A port held by another process is reported as such, naming the udev fix."""

import subprocess
import sys
import textwrap

import pytest

from hologram_sdk.base.errors import PortBusyError, SerialError
from hologram_sdk.modem.at import ATChannel
from hologram_sdk.modem.e303 import E303

HOLDER = textwrap.dedent(
    """
    import fcntl, os, sys
    fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)   # what pyserial's exclusive=True does
    print("locked", flush=True)
    sys.stdin.read()                                  # hold until the test closes stdin
    os.close(fd)
    """
)


@pytest.fixture
def held_port(emulator):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, emulator.device],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield emulator.device
    finally:
        holder.stdin.close()
        holder.wait(5)
        holder.stdout.close()


def test_port_held_by_another_process(held_port):
    channel = ATChannel(held_port)
    with pytest.raises(PortBusyError) as info:
        channel.open()
    assert "ID_MM_DEVICE_IGNORE=" in str(info.value)
    assert isinstance(info.value, SerialError)
    channel.close()


def test_modem_reports_busy_port_on_first_use(held_port):
    with E303(deviceName=held_port) as modem, pytest.raises(PortBusyError):
        modem.imei  # noqa: B018


def test_missing_port_is_a_serial_error(tmp_path):
    channel = ATChannel(str(tmp_path / "ttyUSB9"))
    with pytest.raises(SerialError, match="no such serial port"):
        channel.command("AT")
    channel.close()
