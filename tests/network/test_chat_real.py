"""The real chat binary runs the shipped script against the modem emulator's pty.

The connect string is the one the SDK hands to pppd, run the way pppd runs it
(``/bin/sh -c`` with stdin and stdout on the tty, stderr captured). Each dial
result ends with chat's documented exit code, and the SDK's mapping turns the
code, and chat's own transcript, into the right reason.
"""

import os
import subprocess
import time

import pytest

from hologram_sdk.network import ppp
from hologram_sdk.network.ppp import PPPOutput
from hologram_sdk.network.pppd import default_chat_script
from tests.network.conftest import require_chat

pytestmark = pytest.mark.root


def run_connect_script(device, script, apn=ppp.DEFAULT_APN, timeout=20):
    command = ppp.build_connect_command(script, apn=apn)
    fd = os.open(device, os.O_RDWR | os.O_NOCTTY)
    try:
        done = subprocess.run(
            ["/bin/sh", "-c", command], stdin=fd, stdout=fd, stderr=subprocess.PIPE,
            timeout=timeout, check=False,
        )
    finally:
        os.close(fd)
    out = PPPOutput()
    for line in done.stderr.decode("utf-8", "replace").splitlines():
        out.feed(line)
    return done.returncode, out


def test_success_enters_data_mode_with_the_apn(emulator):
    require_chat()
    emu = emulator("e303")
    code, out = run_connect_script(emu.device, default_chat_script(), apn="hologram")
    assert code == 0
    assert ppp.chat_exit_reason(code) == "the chat script completed"
    assert out.connect_rate is not None and out.connect_rate.startswith("CONNECT")
    assert out.chat_reason is None
    assert emu.in_data_mode
    assert 'AT+CGDCONT=1,"IP","hologram"' in emu.log
    assert emu.log[-1].startswith("ATDT*99***1#")


def test_configured_apn_reaches_the_modem(emulator):
    require_chat()
    emu = emulator("iota")
    code, _ = run_connect_script(emu.device, default_chat_script(), apn="apn.konekt.io")
    assert code == 0
    assert 'AT+CGDCONT=1,"IP","apn.konekt.io"' in emu.log


@pytest.mark.parametrize(("dial", "code", "answer"), [
    ("BUSY", 4, "BUSY"),
    ("NO CARRIER", 5, "NO CARRIER"),
    ("NO DIALTONE", 7, "NO DIALTONE"),
])
def test_abort_strings_end_with_their_exit_codes(emulator, dial, code, answer):
    require_chat()
    emu = emulator("e303", dial_result=dial)
    got, out = run_connect_script(emu.device, default_chat_script())
    assert got == code
    reason = f"the modem answered {answer}"
    assert ppp.chat_exit_reason(got) == reason
    assert out.chat_reason == reason
    assert not emu.in_data_mode
    error = ppp.pppd_exit_error(8, out)
    assert str(error) == f"pppd exit 8: the connect script failed: {reason}"


def test_error_answer_is_a_timeout(emulator, short_timeout_script):
    """ERROR is not an ABORT string: chat waits out its TIMEOUT and exits 3."""
    require_chat()
    emu = emulator("e303", dial_result="ERROR")
    script = short_timeout_script(1)
    started = time.monotonic()
    code, out = run_connect_script(script=script, device=emu.device)
    assert code == 3
    assert time.monotonic() - started >= 1.0
    with open(script) as f:
        aborts = ppp.parse_abort_strings(f.read())
    assert ppp.chat_exit_reason(code, aborts) == (
        "the modem did not give the expected answer in time (an ERROR or no answer)"
    )
    assert out.chat_timed_out
    assert out.chat_reason == ppp.chat_exit_reason(3)


def test_silent_modem_is_a_timeout(emulator, short_timeout_script):
    require_chat()
    emu = emulator("e303")
    emu.faults.mute = True
    code, out = run_connect_script(emu.device, short_timeout_script(1))
    assert code == 3
    assert out.chat_reason == ppp.chat_exit_reason(3)
