"""hologram_sdk.base.config: the credentials file and the precedence flags > environment > file."""

import pytest

from hologram_sdk.base.config import load_credentials_file, resolve_credentials
from hologram_sdk.base.errors import ConfigurationError, CredentialsError

NONE = {"cloud_id": None, "cloud_key": None, "devicekey": None}


@pytest.fixture
def file(tmp_path):
    path = tmp_path / "c.hjson"
    path.write_text('{\n  // comment\n  cloud_id: "fi1e"\n  # another\n  "cloud_key": "f1ky"\n}')
    return path


def test_reference_file_with_comments(file):
    assert load_credentials_file(file) == {"cloud_id": "fi1e", "cloud_key": "f1ky"}


def test_nothing_anywhere_is_none():
    assert resolve_credentials(NONE, {}, None) is None
    assert resolve_credentials({**NONE, "cloud_id": ""}, {"HOLOGRAM_CLOUD_ID": ""}) is None


def test_file_alone(file):
    assert resolve_credentials(NONE, {}, file) == {"cloud_id": "fi1e", "cloud_key": "f1ky"}


def test_environment_beats_file(file):
    env = {"HOLOGRAM_CLOUD_ID": "env1", "HOLOGRAM_CLOUD_KEY": "envk"}
    assert resolve_credentials(NONE, env, file) == {"cloud_id": "env1", "cloud_key": "envk"}


def test_flags_beat_environment(file):
    env = {"HOLOGRAM_CLOUD_ID": "env1", "HOLOGRAM_CLOUD_KEY": "envk"}
    flags = {**NONE, "cloud_id": "flg1", "cloud_key": "flgk"}
    assert resolve_credentials(flags, env, file) == {"cloud_id": "flg1", "cloud_key": "flgk"}


def test_fields_combine_across_sources(file):
    flags = {**NONE, "cloud_key": "flgk"}
    assert resolve_credentials(flags, {}, file) == {"cloud_id": "fi1e", "cloud_key": "flgk"}
    env = {"HOLOGRAM_CLOUD_ID": "env1"}
    assert resolve_credentials(NONE, env, file) == {"cloud_id": "env1", "cloud_key": "f1ky"}


def test_device_key_format_comes_from_the_highest_source(file):
    env = {"HOLOGRAM_DEVICEKEY": "abcd1234"}
    assert resolve_credentials(NONE, env, file) == {"devicekey": "abcd1234"}
    flags = {**NONE, "cloud_id": "flg1", "cloud_key": "flgk"}
    assert resolve_credentials(flags, env, file) == {"cloud_id": "flg1", "cloud_key": "flgk"}


def test_incomplete_pair_names_what_is_missing():
    with pytest.raises(CredentialsError, match="cloud_key is not set; give --cloud_key"):
        resolve_credentials({**NONE, "cloud_id": "abcd"}, {})


def test_wrong_lengths():
    with pytest.raises(CredentialsError, match="4 characters"):
        resolve_credentials({**NONE, "cloud_id": "abc", "cloud_key": "abcd"}, {})
    with pytest.raises(CredentialsError, match="8 characters"):
        resolve_credentials({}, {"HOLOGRAM_DEVICEKEY": "short"})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{cloud_id: ", "not valid HJSON"),
        ('"just a string"', "must hold an object"),
        ("{cloud_id: 1234}", "'cloud_id' must be a string; quote it"),
        ('{devicekey: ["a"]}', "'devicekey' must be a string"),
    ],
)
def test_bad_files(tmp_path, content, message):
    path = tmp_path / "bad.hjson"
    path.write_text(content)
    with pytest.raises(ConfigurationError, match=message):
        load_credentials_file(path)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_credentials_file(tmp_path / "nope.hjson")
    with pytest.raises(ConfigurationError, match="is a directory"):
        load_credentials_file(tmp_path)
    with pytest.raises(ConfigurationError, match="does not exist"):
        resolve_credentials(NONE, {}, tmp_path / "nope.hjson")


def test_invalid_utf8_file(tmp_path):
    path = tmp_path / "latin1.hjson"
    path.write_bytes(b'{cloud_id: "\xe9\xe9\xe9\xe9"}')
    with pytest.raises(ConfigurationError, match="cannot read"):
        load_credentials_file(path)
