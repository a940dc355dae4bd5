"""Devices: a devices file limits access; without one, devices register at first contact."""

import logging
import re

import pytest

from hologram_sdk.base.errors import ConfigurationError
from hologram_sdk.emulator.cloud import LocalCloud, load_devices_file
from tests.localcloud.util import exchange, message

DEVICES = """
{
  // two devices, one of each credential format
  devices: [
    { name: "sensor-1", cloud_id: "1d3g", cloud_key: "5a7b" }
    # the device-key format
    { name: "tracker", devicekey: "k3y0f8ch" }
  ]
}
"""


@pytest.fixture
def devices_file(tmp_path):
    path = tmp_path / "devices.hjson"
    path.write_text(DEVICES)
    return path


def test_only_listed_devices_are_accepted(tmp_path, devices_file):
    with LocalCloud(port=0, db=tmp_path / "c.db", devices=devices_file) as cloud:
        p = cloud.port
        assert exchange(p, message(b'"s":"1d3g","c":"5a7b","d":"seed"')) == b"[0,0]"
        assert exchange(p, message(b'"k":"k3y0f8ch","d":"key"')) == b"[0,0]"
        assert exchange(p, message(b'"devicekey":"k3y0f8ch","data":"long"')) == b"[0,0]"
        assert exchange(p, message(b'"s":"1d3g","c":"5a7c","d":"wrong key"')) == b"[3,0]"
        assert exchange(p, message(b'"s":"9999","c":"5a7b","d":"unknown id"')) == b"[3,0]"
        assert exchange(p, message(b'"k":"k3y0f8cX","d":"unknown key"')) == b"[3,0]"
        assert exchange(p, b"Sk3y0f8ch+15551234567 by key\r\r") == b"0"
        assert exchange(p, b"S1d3g5a7b+15551234567 by seed\r\r") == b"0"
        assert exchange(p, b"S1d3g5a7c+15551234567 wrong key\r\r") == b"3"
        assert exchange(p, b"Sxxxxxxxx+15551234567 unknown\r\r") == b"3"
        assert [(m.device, m.data) for m in cloud.messages()] == [
            ("sensor-1", "seed"), ("tracker", "key"), ("tracker", "long")
        ]
        assert [(s.device, s.text) for s in cloud.sms()] == [
            ("tracker", "by key"), ("sensor-1", "by seed")
        ]


def test_first_contact_registers_and_logs_without_keys(cloud, caplog):
    caplog.set_level(logging.DEBUG, logger="hologram_sdk")
    p = cloud.port
    assert exchange(p, message(b'"s":"q7zx","c":"w9vy","t":["T"],"d":"one"')) == b"[0,0]"
    assert exchange(p, message(b'"s":"q7zx","c":"w9vy","d":"two"')) == b"[0,0]"
    assert exchange(p, message(b'"k":"m4n5b6v7","d":"three"')) == b"[0,0]"
    assert [m.device for m in cloud.messages()] == ["device-1", "device-1", "device-2"]
    text = caplog.text
    assert "registered device-1 on first contact (cloud_id/cloud_key)" in text
    assert "registered device-2 on first contact (devicekey)" in text
    assert text.count("registered") == 2
    assert "message from device-1: 0 (topics: T)" in text
    for secret in ("q7zx", "w9vy", "m4n5b6v7"):
        assert secret not in text


def test_registered_devices_survive_a_restart(db):
    with LocalCloud(port=0, db=db) as cloud:
        exchange(cloud.port, message(b'"s":"aaaa","c":"bbbb","d":"x"'))
        exchange(cloud.port, message(b'"s":"cccc","c":"dddd","d":"y"'))
    with LocalCloud(port=0, db=db) as cloud:
        assert exchange(cloud.port, message(b'"s":"cccc","c":"dddd","d":"z"')) == b"[0,0]"
        assert exchange(cloud.port, message(b'"s":"aaaa","c":"XXXX","d":"z"')) == b"[3,0]"
        assert [m.device for m in cloud.messages()] == ["device-1", "device-2", "device-2"]


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("{devices: [", "not valid HJSON"),
        ("{devices: 5}", "expected a list"),
        ('[{name: "a"}]', "give 'cloud_id' and 'cloud_key', or 'devicekey'"),
        ('[{cloud_id: 1234, cloud_key: "abcd"}]', "'cloud_id' must be a string"),
        ('[{cloud_id: "123", cloud_key: "abcd"}]', "4 characters each"),
        ('[{devicekey: "short"}]', "8 characters"),
        ('[{name: "x", devicekey: "abcdefgh"}, {name: "x", devicekey: "bbcdefgh"}]', "used twice"),
    ],
)
def test_bad_devices_file_is_a_clear_error(tmp_path, text, complaint):
    path = tmp_path / "devices.hjson"
    path.write_text(text)
    with pytest.raises(ConfigurationError, match=re.escape(complaint)):
        LocalCloud(port=0, db=tmp_path / "c.db", devices=path)


def test_missing_devices_file(tmp_path):
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_devices_file(tmp_path / "nope.hjson")


def test_device_repr_hides_keys(devices_file):
    text = repr(load_devices_file(devices_file))
    assert "sensor-1" in text and "5a7b" not in text and "k3y0f8ch" not in text
