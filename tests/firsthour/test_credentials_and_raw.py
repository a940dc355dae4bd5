"""Issue 14, item 1: no usable credentials is an error, a raw send is chosen with
--raw (hologram_send.py keeps the reference's implicit raw send), and a reply that
is a Hologram error code never exits 0."""

import pytest

from tests.cli.util import HOLOGRAM, run, script
from tests.support.servers import ReplyServer


def target(port):
    return ["--host", "127.0.0.1", "-p", str(port)]


def one_line(result):
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("content", "found"),
    [
        ('{"cloudid": "q7zx", "cloudkey": "w9vy"}', "found 'cloudid', 'cloudkey'"),
        ("", "found nothing"),
        ("{}", "found nothing"),
        ('{cloud_id: "", other: 1}', "found 'cloud_id', 'other'"),
    ],
)
@pytest.mark.parametrize("command", [[*HOLOGRAM, "send"], "hologram_send.py"])
def test_a_file_without_credentials_is_an_error(cloud, env, tmp_path, content, found, command):
    path = tmp_path / "bad.hjson"
    path.write_text(content)
    cmd = script(command) if isinstance(command, str) else command
    result = run([*cmd, "x", "-f", str(path), *target(cloud.port)], env)
    assert result.returncode == 2, result
    line = one_line(result)
    assert f"credentials file {path} has no credentials" in line
    assert "expected 'cloud_id' and 'cloud_key', or 'devicekey'" in line
    assert found in line
    assert result.stdout == ""
    assert cloud.messages() == []


def test_a_bare_file_flag_is_an_error(cloud, env):
    result = run([*HOLOGRAM, "send", "x", "-f", *target(cloud.port)], env)
    assert result.returncode == 2
    assert "-f/--file needs a FILE" in one_line(result)


def test_no_credentials_without_raw_is_an_error(cloud, env):
    result = run([*HOLOGRAM, "send", "x", *target(cloud.port)], env)
    assert result.returncode == 2
    line = one_line(result)
    assert "missing credentials" in line and "--raw" in line
    assert result.stdout == ""


def test_raw_reply_with_a_hologram_error_code_exits_1(cloud, env):
    result = run([*HOLOGRAM, "send", "--raw", "raw bytes", *target(cloud.port)], env)
    assert result.returncode == 1, result
    assert result.stdout == "RESPONSE FROM CLOUD: [5,0]\n"
    assert "the cloud answered 5" in one_line(result)
    assert cloud.messages() == []


def test_raw_send_to_a_server_of_ones_own(env):
    with ReplyServer(b"thanks", request_size=len("raw bytes")) as server:
        result = run([*HOLOGRAM, "send", "--raw", "raw bytes", *target(server.port)], env)
        assert (result.returncode, result.stderr) == (0, "")
        assert result.stdout == "RESPONSE FROM CLOUD: thanks\n"
        assert server.bodies() == [b"raw bytes"]


def test_raw_needs_host_and_port_and_no_topics(env):
    result = run([*HOLOGRAM, "send", "--raw", "x", "--host", "127.0.0.1"], env)
    assert result.returncode == 2 and "--raw needs --host and --port" in one_line(result)
    result = run([*HOLOGRAM, "send", "--raw", "x", "-t", "T", *target(9)], env)
    assert result.returncode == 2 and "topics need the Hologram protocol" in one_line(result)


def test_the_reference_script_sends_raw_without_credentials(env):
    """The spec: without cloud_id/cloud_key, --host and -p mean CustomCloud."""
    with ReplyServer(b"ok", request_size=len("hello")) as server:
        result = run([*script("hologram_send.py"), "hello", *target(server.port)], env)
        assert (result.returncode, result.stderr) == (0, "")
        assert result.stdout == "RESPONSE FROM CLOUD: ok\n"
        assert server.bodies() == [b"hello"]


def test_the_reference_script_refused_raw_exits_1(cloud, env):
    result = run([*script("hologram_send.py"), "hello", *target(cloud.port)], env)
    assert result.returncode == 1
    assert "the cloud answered 5" in one_line(result)
