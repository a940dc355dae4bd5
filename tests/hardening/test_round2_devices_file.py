"""Issue 15 item 13: a devices file where two entries share a credential is refused
at load, with one line naming both entries (and never the key)."""

from __future__ import annotations

import pytest

from hologram_sdk.base.errors import ConfigurationError
from hologram_sdk.emulator.cloud import LocalCloud


def _load(tmp_path, body: str) -> LocalCloud:
    path = tmp_path / "devices.hjson"
    path.write_text(body)
    return LocalCloud(port=0, devices=path)


def test_the_same_devicekey_twice_is_refused_naming_both(tmp_path):
    with pytest.raises(ConfigurationError) as info:
        _load(tmp_path, '{devices: [{name: "a", devicekey: "k3y0f8ch"},'
                        ' {name: "b", cloud_id: "ab12", cloud_key: "cd34"},'
                        ' {name: "c", devicekey: "k3y0f8ch"}]}')
    text = str(info.value)
    assert "\n" not in text
    assert "entry 1 ('a')" in text and "entry 3 ('c')" in text and "same devicekey" in text
    assert "k3y0f8ch" not in text


def test_the_same_cloud_id_twice_is_refused_naming_both(tmp_path):
    with pytest.raises(ConfigurationError) as info:
        _load(tmp_path, '[{name: "x", cloud_id: "ab12", cloud_key: "cd34"},'
                        ' {name: "y", cloud_id: "ab12", cloud_key: "zz99"}]')
    text = str(info.value)
    assert "entry 1 ('x')" in text and "entry 2 ('y')" in text and "same cloud_id" in text
    assert "cd34" not in text and "zz99" not in text


def test_a_devicekey_equal_to_another_seed_is_refused_sms_could_not_tell_them_apart(tmp_path):
    with pytest.raises(ConfigurationError, match=r"entry 1 \('s'\) and entry 2 \('k'\)"):
        _load(tmp_path, '[{name: "s", cloud_id: "ab12", cloud_key: "cd34"},'
                        ' {name: "k", devicekey: "ab12cd34"}]')


def test_distinct_credentials_still_load(tmp_path):
    with _load(tmp_path, '[{name: "s", cloud_id: "ab12", cloud_key: "cd34"},'
                         ' {name: "t", cloud_id: "ab13", cloud_key: "cd34"},'
                         ' {name: "k", devicekey: "k3y0f8ch"}]') as cloud:
        assert cloud.port > 0
