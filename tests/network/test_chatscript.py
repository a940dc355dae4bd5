"""The shipped chat script: where it is, that it is executable, what it says."""

import os
import shutil
import stat

import pytest

from hologram_sdk.base.errors import ConfigurationError
from hologram_sdk.network import ppp
from hologram_sdk.network.pppd import check_chat_script, default_chat_script


def test_default_script_is_shipped_and_executable():
    path = default_chat_script()
    assert os.path.isfile(path)
    assert os.stat(path).st_mode & stat.S_IXUSR
    assert check_chat_script(None) == os.path.realpath(path)
    assert check_chat_script(path) == os.path.realpath(path)


def test_default_script_aborts_in_the_order_the_sdk_maps():
    with open(default_chat_script()) as f:
        text = f.read()
    assert ppp.parse_abort_strings(text) == ppp.DEFAULT_ABORT_STRINGS
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    assert "TIMEOUT 12" in lines
    assert "OK 'AT+CGDCONT=1,\"IP\",\"\\T\"'" in lines
    assert "OK ATDT*99***1#" in lines
    assert lines[-1] == "CONNECT ''"


def test_non_executable_script_is_a_clear_error(tmp_path):
    copy = tmp_path / "my-script"
    shutil.copy(default_chat_script(), copy)
    os.chmod(copy, 0o644)
    with pytest.raises(ConfigurationError, match="not executable: run 'chmod \\+x"):
        check_chat_script(str(copy))
    os.chmod(copy, 0o755)
    assert check_chat_script(str(copy)) == str(copy.resolve())


def test_missing_or_directory_script_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigurationError, match="does not exist"):
        check_chat_script(str(tmp_path / "nope"))
    with pytest.raises(ConfigurationError, match="not a file"):
        check_chat_script(str(tmp_path))
