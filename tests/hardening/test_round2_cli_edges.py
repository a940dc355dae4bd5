"""Issue 15 items 11 and 14 (CLI part): numbers are checked at the edge (one error
line, exit 2, no traceback), a key given as a flag is warned about and --help
says so, and the DEBUG mask of an SMS request hides the whole key."""

from __future__ import annotations

import pytest

from hologram_sdk.cloud.hologram import mask_credentials
from hologram_sdk.wire import protocol
from tests.cli.util import HOLOGRAM, clean_env, run

BAD_NUMBERS = [
    ["send", "--host", "127.0.0.1", "--port", "9", "--timeout", "inf", "x"],
    ["send", "--host", "127.0.0.1", "--port", "9", "--timeout", "1e308", "x"],
    ["send", "--host", "127.0.0.1", "--port", "9", "--timeout", "nan", "x"],
    ["receive", "--timeout", "inf"],
    ["receive", "--timeout", "nan"],
    ["receive", "--timeout", "1e308"],
    ["outbox", "flush", "--timeout", "-1"],
    ["outbox", "flush", "--timeout", "0"],
    ["outbox", "flush", "--timeout", "nan"],
    ["outbox", "flush", "--timeout", "inf"],
    ["push", "-p", "9", "--timeout", "inf", "x"],
]


@pytest.mark.parametrize("argv", BAD_NUMBERS, ids=lambda a: " ".join(a[:1] + a[-2:]))
def test_unusable_numbers_are_refused_at_the_edge(tmp_path, argv):
    result = run([*HOLOGRAM, *argv], clean_env(tmp_path), timeout=20)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert "--timeout" in last and argv[argv.index("--timeout") + 1] in last


def test_a_key_given_as_a_flag_is_warned_about_and_help_says_so(tmp_path):
    env = clean_env(tmp_path)
    result = run([*HOLOGRAM, "send", "--devicekey", "Zq8Lm3Vx", "--host", "127.0.0.1",
                  "--port", "9", "--timeout", "1", "x"], env)
    warning = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(warning) == 1 and "--devicekey" in warning[0] and "ps" in warning[0]
    assert "Zq8Lm3Vx" not in result.stderr + result.stdout
    helptext = run([*HOLOGRAM, "send", "--help"], env).stdout
    assert "visible to every" in " ".join(helptext.split())


def test_sms_mask_hides_every_character_of_a_key_holding_a_plus():
    creds = protocol.parse_credentials({"devicekey": "ab+cdefg"})
    request = protocol.encode_sms(creds, "+15551234567", "hi")
    masked = mask_credentials(request)
    assert masked.startswith("S***+15551234567 hi")
    for part in ("ab+", "cdefg", "+cd", "ab"):
        assert part not in masked.split("+15551234567")[0]
