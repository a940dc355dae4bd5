"""Pure PPP helpers: pppd's argument list, output lines, exit codes, chat reasons."""

import shlex

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hologram_sdk.base.errors import (
    ConfigurationError,
    NetworkError,
    PermissionDeniedError,
    PPPConnectionError,
)
from hologram_sdk.network import ppp
from hologram_sdk.network.ppp import LineKind, PPPOptions, PPPOutput
from tests.support.fuzz import FUZZ

SCRIPT = "/opt/hologram/chatscripts/default-script"

# pppd 2.4.9's output for a successful bring-up, as in modem-facts.md section 8.3.
SUCCESS_LINES = [
    "chat:  Nov 26 11:48:18 CONNECT 7200000",
    "Serial connection established.",
    "Using interface ppp0",
    "Connect: ppp0 <--> /dev/ttyUSB0",
    "Could not determine remote IP address: defaulting to 10.64.64.64",
    "local  IP address 10.170.12.34",
    "remote IP address 10.64.64.64",
    "primary   DNS address 8.8.8.8",
    "secondary DNS address 8.8.4.4",
]


# --- argument list -----------------------------------------------------------


def test_default_args_order_and_flags():
    args = ppp.build_pppd_args(PPPOptions("/dev/ttyUSB0", SCRIPT))
    assert args[0] == "connect"
    assert shlex.split(args[1]) == ["/usr/sbin/chat", "-v", "-s", "-T", "hologram", "-f", SCRIPT]
    assert args[2:4] == ["/dev/ttyUSB0", "9600"]
    for flag in ("noipdefault", "usepeerdns", "defaultroute", "nopersist", "lock", "noauth"):
        assert flag in args
    assert args[-1] == "nodetach"
    assert "persist" not in args


def test_args_options_switch_flags():
    args = ppp.build_pppd_args(PPPOptions(
        "/dev/ttyACM0", SCRIPT, baud_rate="115200", apn="apn.konekt.io", persist=True,
        default_route=False, use_peer_dns=False, lock=False, extra=("mtu", "1400"),
        dryrun=True,
    ))
    assert args[2:4] == ["/dev/ttyACM0", "115200"]
    assert "-T apn.konekt.io" in args[1]
    assert "persist" in args and "nopersist" not in args
    assert "nolock" in args and "lock" not in args
    assert "defaultroute" not in args and "usepeerdns" not in args
    assert args[-4:] == ["mtu", "1400", "nodetach", "dryrun"]


def test_connect_command_quotes_paths_with_spaces():
    command = ppp.build_connect_command("/tmp/my scripts/dial", apn=None, log_to_stderr=False)
    assert shlex.split(command) == ["/usr/sbin/chat", "-v", "-f", "/tmp/my scripts/dial"]


@pytest.mark.parametrize("apn", ["", "bad apn", 'a"b', "x;rm -rf /", "a" * 101, "-T"])
def test_bad_apn_is_rejected(apn):
    with pytest.raises(ConfigurationError, match="invalid APN"):
        ppp.build_pppd_args(PPPOptions("/dev/ttyUSB0", SCRIPT, apn=apn))


@pytest.mark.parametrize("baud", [0, -9600, "fast", None, True])
def test_bad_baud_is_rejected(baud):
    with pytest.raises(ConfigurationError, match="baud"):
        ppp.build_pppd_args(PPPOptions("/dev/ttyUSB0", SCRIPT, baud_rate=baud))


@pytest.mark.parametrize("device", ["", "/dev/tty USB0", None])
def test_bad_device_is_rejected(device):
    with pytest.raises(ConfigurationError, match="device"):
        ppp.build_pppd_args(PPPOptions(device, SCRIPT))


@pytest.mark.parametrize("extra", [("nodetach",), ("updetach",), ("",)])
def test_managed_or_empty_extra_options_are_rejected(extra):
    with pytest.raises(ConfigurationError):
        ppp.build_pppd_args(PPPOptions("/dev/ttyUSB0", SCRIPT, extra=extra))


def test_empty_chat_script_is_rejected():
    with pytest.raises(ConfigurationError, match="chat script"):
        ppp.build_pppd_args(PPPOptions("/dev/ttyUSB0", ""))


# --- output lines --------------------------------------------------------------


def test_success_lines_give_addresses_not_swapped():
    out = PPPOutput()
    kinds = [out.feed(line).kind for line in SUCCESS_LINES]
    assert kinds == [
        LineKind.CHAT_REPORT, LineKind.SERIAL_CONNECTED, LineKind.INTERFACE,
        LineKind.CONNECT, LineKind.REMOTE_DEFAULTED, LineKind.LOCAL_IP,
        LineKind.REMOTE_IP, LineKind.PRIMARY_DNS, LineKind.SECONDARY_DNS,
    ]
    assert out.local_ip == "10.170.12.34"
    assert out.remote_ip == "10.64.64.64"
    assert out.dns == ["8.8.8.8", "8.8.4.4"]
    assert out.interface == "ppp0"
    assert out.connect_rate == "CONNECT 7200000"
    assert out.serial_connected and out.is_up
    assert out.text.splitlines() == SUCCESS_LINES


def test_not_up_with_only_the_local_address():
    out = PPPOutput()
    for line in SUCCESS_LINES[:6]:
        out.feed(line)
    assert out.local_ip == "10.170.12.34" and out.remote_ip is None
    assert not out.is_up


@pytest.mark.parametrize(("line", "kind", "value"), [
    ("Connect script failed", LineKind.CONNECT_SCRIPT_FAILED, None),
    ("Modem hangup", LineKind.MODEM_HANGUP, None),
    ("Connection terminated.", LineKind.CONNECTION_TERMINATED, None),
    ("Terminating on signal 15", LineKind.TERMINATING_ON_SIGNAL, "15"),
    ("Terminating on signal 2.", LineKind.TERMINATING_ON_SIGNAL, "2"),
    ("Hangup (SIGHUP)", LineKind.HANGUP_SIGNAL, None),
    ("LCP: timeout sending Config-Requests", LineKind.LCP_TIMEOUT, None),
    ("IPCP: timeout sending Config-Requests", LineKind.IPCP_TIMEOUT, None),
    ("No response to 4 echo-requests", LineKind.ECHO_TIMEOUT, "4"),
    ("Serial link appears to be disconnected.", LineKind.LINK_DISCONNECTED, None),
    ("Device ttyUSB0 is locked by pid 1234", LineKind.DEVICE_LOCKED, "ttyUSB0"),
    ("Failed to open /dev/ttyUSB0: No such file or directory", LineKind.OPEN_FAILED,
     "No such file or directory"),
    ("Couldn't open the /dev/ppp device: No such device or address",
     LineKind.NO_KERNEL_SUPPORT, "No such device or address"),
    ("/usr/sbin/pppd: Please load the ppp_generic kernel module.",
     LineKind.NO_KERNEL_SUPPORT, None),
    ("pppd: unrecognized option 'bogusopt'", LineKind.UNRECOGNIZED_OPTION, "bogusopt"),
    ("Connect time 1.2 minutes.", LineKind.CONNECT_TIME, "1.2"),
    ("Sent 1234 bytes, received 5678 bytes.", LineKind.TRAFFIC,
     "Sent 1234 bytes, received 5678 bytes"),
    ("CHAP authentication succeeded", LineKind.AUTH_OK, "CHAP authentication succeeded"),
    ("Failed (NO CARRIER)", LineKind.CHAT_FAILED, "NO CARRIER"),
    ("Failed", LineKind.CHAT_FAILED, None),
    ("alarm", LineKind.CHAT_TIMEOUT, None),
    ("abort on (BUSY)", LineKind.CHAT_LOG, None),
    ("send (AT^M)", LineKind.CHAT_LOG, None),
    (" -- got it", LineKind.CHAT_LOG, None),
    ("something else entirely", LineKind.OTHER, None),
    ("", LineKind.OTHER, None),
])
def test_line_classification(line, kind, value):
    parsed = ppp.parse_line(line + "\n")
    assert parsed.kind is kind
    assert parsed.value == value
    assert parsed.text == line


def test_chat_transcript_gives_the_abort_reason():
    out = PPPOutput()
    for line in ["send (ATDT*99***1#^M)", "expect (CONNECT)", "^M", "NO CARRIER",
                 " -- failed", "Failed (NO CARRIER)", "Connect script failed"]:
        out.feed(line)
    assert out.chat_reason == "the modem answered NO CARRIER"
    assert out.connect_script_failed
    assert ppp.chat_reason_from_output(out) == out.chat_reason


def test_chat_transcript_gives_the_timeout_reason():
    out = PPPOutput()
    for line in ["expect (CONNECT)", "ERROR^M", "alarm", "Failed"]:
        out.feed(line)
    assert out.chat_timed_out
    assert out.chat_reason == ppp.CHAT_EXIT_CODES[3]


def test_hangup_and_termination_are_recorded():
    out = PPPOutput()
    for line in [*SUCCESS_LINES, "Terminating on signal 15", "Connect time 0.1 minutes.",
                 "Sent 0 bytes, received 0 bytes.", "Connection terminated.", "Modem hangup"]:
        out.feed(line)
    assert out.signal == 15 and out.terminated and out.modem_hangup


@pytest.mark.fuzz
@FUZZ
@given(st.text())
def test_parse_line_never_raises(text):
    parsed = ppp.parse_line(text)
    assert isinstance(parsed.kind, LineKind)
    PPPOutput().feed(text)


# --- exit codes ------------------------------------------------------------------


@pytest.mark.parametrize("code", [c for c in range(0, 22) if c != 3])
def test_every_pppd_exit_code_maps_to_a_typed_error(code):
    error = ppp.pppd_exit_error(code, "some output")
    assert isinstance(error, PPPConnectionError)
    assert isinstance(error, NetworkError)
    assert error.code == code
    assert error.output == "some output"
    assert ppp.PPPD_EXIT_CODES[code] in str(error)
    assert str(error).startswith(f"pppd exit {code}: ")


def test_exit_3_is_a_permission_error():
    error = ppp.pppd_exit_error(3)
    assert isinstance(error, PermissionDeniedError)
    assert isinstance(error, PermissionError)
    assert "root" in str(error)


def test_exit_4_says_the_kernel_has_no_ppp():
    error = ppp.pppd_exit_error(4)
    assert "the kernel has no PPP support (/dev/ppp missing)" in str(error)
    assert "ppp_generic" in str(error) and "serial mode" in str(error)


def test_exit_8_carries_chats_reason():
    out = PPPOutput()
    for line in ["BUSY", " -- failed", "Failed (BUSY)", "Connect script failed"]:
        out.feed(line)
    error = ppp.pppd_exit_error(8, out)
    assert str(error) == "pppd exit 8: the connect script failed: the modem answered BUSY"
    assert error.output == out.text
    explicit = ppp.pppd_exit_error(8, chat_reason=ppp.chat_exit_reason(5))
    assert str(explicit).endswith("the modem answered NO CARRIER")


def test_exit_16_is_a_modem_hangup():
    error = ppp.pppd_exit_error(16, "Modem hangup\nConnection terminated.")
    assert error.code == 16
    assert "modem hung up" in str(error)


def test_exit_2_names_the_bad_option():
    error = ppp.pppd_exit_error(2, "pppd: unrecognized option 'bogus'\nUsage: ...")
    assert "unrecognized option 'bogus'" in str(error)


def test_unknown_and_signal_exits():
    assert "unknown code 99" in str(ppp.pppd_exit_error(99))
    killed = ppp.pppd_exit_error(-9)
    assert isinstance(killed, PPPConnectionError)
    assert "killed by signal 9" in str(killed)


@pytest.mark.parametrize(("code", "reason"), [
    (0, "completed"),
    (1, "invalid parameters"),
    (2, "terminated by a signal"),
    (3, "in time"),
    (4, "answered BUSY"),
    (5, "answered NO CARRIER"),
    (6, "answered VOICE"),
    (7, "answered NO DIALTONE"),
    (8, "answered NO DIAL TONE"),
    (9, "answered NO ANSWER"),
    (10, "answered DELAYED"),
    (11, "unknown code 11"),
    (-15, "signal 15"),
])
def test_chat_exit_reasons_for_the_default_script(code, reason):
    assert reason in ppp.chat_exit_reason(code)


def test_abort_strings_of_a_script():
    script = """# comment ABORT 'NOPE'
ABORT 'BUSY' ABORT "NO CARRIER"
ABORT ERROR
CLR_ABORT 'BUSY'
TIMEOUT 5
'' AT
"""
    aborts = ppp.parse_abort_strings(script)
    assert aborts == ("NO CARRIER", "ERROR")
    assert ppp.chat_exit_reason(5, aborts) == "the modem answered ERROR"
