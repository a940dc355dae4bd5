"""``hologram send|sms`` and ``hologram_send.py``/``hologram_sms.py`` against a real LocalCloud."""

import pytest

from tests.cli.util import HOLOGRAM, clean_env, run, script
from tests.support.net import free_port

CREDS = ["--cloud_id", "q7zx", "--cloud_key", "w9vy"]
SECRETS = ("q7zx", "w9vy", "m4n5b6v7")


def target(cloud):
    return ["--host", "127.0.0.1", "--port", str(cloud.port)]


def without_key_warning(stderr):
    """stderr without the warning that a key given as a flag shows in ps (CREDS are flags)."""
    return "".join(line for line in stderr.splitlines(keepends=True)
                   if "on the command line is visible to every user" not in line)


def one_line_error(result, *fragments):
    assert result.stdout == "" or "RESPONSE" in result.stdout
    lines = without_key_warning(result.stderr).strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


def test_send_with_topics_is_stored(cloud, env):
    cmd = [*HOLOGRAM, "send", "21.5 C", "-t", "TEMP", "KITCHEN", *CREDS, *target(cloud)]
    result = run(cmd, env)
    assert (result.returncode, without_key_warning(result.stderr)) == (0, "")
    assert result.stdout == "RESPONSE FROM CLOUD: 0 (Message sent successfully)\n"
    [stored] = cloud.messages()
    assert (stored.device, stored.topics, stored.data) == (
        "device-1", ["TEMP", "KITCHEN"], "21.5 C"
    )


def test_repeated_topic_flags_and_double_dash(cloud, env):
    cmd = [*HOLOGRAM, "send", *CREDS, *target(cloud), "-t", "A", "-t", "B", "--", "msg"]
    result = run(cmd, env)
    assert result.returncode == 0, result.stderr
    assert cloud.messages()[0].topics == ["A", "B"]


def test_message_swallowed_by_topics_gets_a_hint(cloud, env):
    result = run([*HOLOGRAM, "send", *CREDS, *target(cloud), "-t", "A", "msg"], env)
    assert result.returncode == 2
    one_line_error(result, "no message", "end the topics with --")
    assert cloud.messages() == []


def test_reference_send_script_with_hjson_file(cloud, env, creds_file):
    cmd = [*script("hologram_send.py"), "from the script", "--file", str(creds_file),
           "--topic", "topic-example", "--host", "127.0.0.1", "-p", str(cloud.port)]
    result = run(cmd, env)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "RESPONSE FROM CLOUD: 0 (Message sent successfully)\n"
    stored = [(m.topics, m.data) for m in cloud.messages()]
    assert stored == [(["topic-example"], "from the script")]


def test_reference_sms_script_with_hjson_file(cloud, env, creds_file):
    cmd = [*script("hologram_sms.py"), "-f", str(creds_file), "--destination", "+11234567890",
           "hey there!", "--host", "127.0.0.1", "--port", str(cloud.port)]
    result = run(cmd, env)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "RESPONSE FROM CLOUD: 0 (Message sent successfully)\n"
    [sms] = cloud.sms()
    assert (sms.device, sms.destination, sms.text) == ("device-1", "+11234567890", "hey there!")


def test_hologram_sms_with_device_key(cloud, env):
    cmd = [*HOLOGRAM, "sms", "--devicekey", "m4n5b6v7", "--destination", "+15551234567",
           "hi", *target(cloud)]
    result = run(cmd, env)
    assert result.returncode == 0, result.stderr
    assert cloud.sms()[0].text == "hi"


def test_credentials_from_the_environment(cloud, tmp_path):
    env = clean_env(tmp_path, HOLOGRAM_CLOUD_ID="q7zx", HOLOGRAM_CLOUD_KEY="w9vy")
    assert run([*HOLOGRAM, "send", "env creds", *target(cloud)], env).returncode == 0
    env = clean_env(tmp_path, HOLOGRAM_DEVICEKEY="m4n5b6v7")
    assert run([*HOLOGRAM, "send", "env key", *target(cloud)], env).returncode == 0
    assert [(m.device, m.data) for m in cloud.messages()] == [
        ("device-1", "env creds"), ("device-2", "env key")
    ]


def test_precedence_flags_then_environment_then_file(cloud, tmp_path, creds_file):
    """The device q7zx/w9vy is registered first; a wrong key anywhere shows who won."""
    ok_env = clean_env(tmp_path)
    assert run([*HOLOGRAM, "send", "register", *CREDS, *target(cloud)], ok_env).returncode == 0
    wrong_file = tmp_path / "wrong.hjson"
    wrong_file.write_text('{cloud_id: "q7zx", cloud_key: "bad1"}')
    right_env = clean_env(tmp_path, HOLOGRAM_CLOUD_ID="q7zx", HOLOGRAM_CLOUD_KEY="w9vy")
    wrong_env = clean_env(tmp_path, HOLOGRAM_CLOUD_ID="q7zx", HOLOGRAM_CLOUD_KEY="bad2")
    send = [*HOLOGRAM, "send", "x", *target(cloud)]
    # environment beats file
    assert run([*send, "-f", str(wrong_file)], right_env).returncode == 0
    assert run([*send, "-f", str(creds_file)], wrong_env).returncode == 1
    # flags beat environment
    assert run([*send, *CREDS], wrong_env).returncode == 0
    assert run([*send, "--cloud_key", "bad3"], right_env).returncode == 1
    # a flag pairs with the file's other half
    assert run([*send, "--cloud_key", "w9vy", "-f", str(wrong_file)], ok_env).returncode == 0
    assert len(cloud.messages()) == 4


def test_missing_credentials(cloud, env):
    result = run([*HOLOGRAM, "send", "x"], env)
    assert result.returncode == 2
    one_line_error(
        result, "missing credentials: give --cloud_id/--cloud_key, the environment, or -f FILE"
    )
    result = run([*script("hologram_sms.py"), "--destination", "+15551234567", "x",
                  *target(cloud)], env)
    assert result.returncode == 2
    one_line_error(result, "hologram_sms.py: missing credentials: give --cloud_id/--cloud_key")
    result = run([*HOLOGRAM, "send", "x", "--cloud_id", "q7zx", *target(cloud)], env)
    assert result.returncode == 2
    one_line_error(result, "cloud_key is not set", "HOLOGRAM_CLOUD_KEY")


def test_unreachable_host(env):
    port = free_port()
    result = run([*HOLOGRAM, "send", "x", *CREDS, "--host", "127.0.0.1", "-p", str(port)], env)
    assert result.returncode == 1
    one_line_error(result, f"hologram send: cannot reach 127.0.0.1:{port}: connection refused")


def test_cloud_refusal_says_what_to_do(cloud, env):
    assert run([*HOLOGRAM, "send", "first", *CREDS, *target(cloud)], env).returncode == 0
    result = run([*HOLOGRAM, "send", "x", "--cloud_id", "q7zx", "--cloud_key", "nope",
                  *target(cloud)], env)
    assert result.returncode == 1
    assert result.stdout == "RESPONSE FROM CLOUD: 3 (Auth section of the message was invalid)\n"
    one_line_error(result, "the cloud answered 3: credentials invalid")


def test_raw_message_uses_custom_cloud(cloud, env):
    result = run([*HOLOGRAM, "send", "--raw", "raw bytes", *target(cloud)], env)
    assert result.returncode == 1, result.stderr  # [5,0] is a Hologram error code
    assert result.stdout == "RESPONSE FROM CLOUD: [5,0]\n"  # not the Hologram protocol
    assert cloud.messages() == []


def test_verbose_logs_in_reference_format_without_credentials(cloud, env):
    result = run([*HOLOGRAM, "send", "x", *CREDS, *target(cloud), "--verbose"], env)
    assert result.returncode == 0
    assert "INFO:HologramCloud:Connecting to 127.0.0.1" in result.stderr
    result2 = run([*script("hologram_sms.py"), "--devicekey", "m4n5b6v7", "--destination",
                   "+15551234567", "x", *target(cloud), "--verbose"], env)
    assert result2.returncode == 0
    assert "INFO:HologramCloud:" in result2.stderr
    for secret in SECRETS:
        assert secret not in result.stderr + result.stdout + result2.stderr + result2.stdout
    quiet = run([*HOLOGRAM, "send", "x", *CREDS, *target(cloud)], env)
    assert without_key_warning(quiet.stderr) == ""


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("{cloud_id: ", "is not valid HJSON"),
        ("{cloud_id: 1234, cloud_key: \"w9vy\"}", "'cloud_id' must be a string"),
        ("[1, 2]", "must hold an object"),
        ('{cloud_id: "toolong", cloud_key: "w9vy"}', "'cloud_id' must be a string of 4 characters"),
    ],
)
def test_bad_credentials_file(cloud, env, tmp_path, content, fragment):
    path = tmp_path / "bad.hjson"
    path.write_text(content)
    result = run([*script("hologram_send.py"), "x", "-f", str(path), *target(cloud)], env)
    assert result.returncode == 2
    one_line_error(result, fragment)


def test_missing_credentials_file(cloud, env, tmp_path):
    missing = str(tmp_path / "none.hjson")
    result = run([*HOLOGRAM, "send", "x", "-f", missing, *target(cloud)], env)
    assert result.returncode == 2
    one_line_error(result, "does not exist")


def test_sms_bad_destination(cloud, env):
    result = run([*HOLOGRAM, "sms", *CREDS, "--destination", "5551234", "x", *target(cloud)], env)
    assert result.returncode == 2
    one_line_error(result, "is not E.164")
    result = run([*HOLOGRAM, "sms", *CREDS, "x", *target(cloud)], env)
    assert result.returncode == 2
    one_line_error(result, "missing --destination")
    assert cloud.sms() == []


def test_silent_server_times_out_with_a_clear_error(env):
    import socket

    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never answers
        port = silent.getsockname()[1]
        cmd = [*HOLOGRAM, "send", "x", *CREDS, "--host", "127.0.0.1", "-p", str(port),
               "--timeout", "0.5"]
        result = run(cmd, env)
    assert result.returncode == 1
    one_line_error(result, f"no answer from 127.0.0.1:{port} within 0.5 s")


def test_timeout_must_be_positive(env):
    result = run([*HOLOGRAM, "send", "x", *CREDS, "--timeout", "0"], env)
    assert result.returncode == 2
    assert "the timeout must be more than 0 seconds" in result.stderr
