"""Issue 14, item 10: empty messages refused, -t said in --help, --json one object
for send/sms/outbox/network, topics holding a comma unambiguous in the tables."""

import json

import pytest

from hologram_sdk.base.errors import ConfigurationError
from hologram_sdk.cloud.hologram import HologramCloud
from tests.cli.util import HOLOGRAM, run
from tests.support.net import closed_port

CREDS = ["--cloud_id", "q7zx", "--cloud_key", "w9vy"]


def target(port):
    return ["--host", "127.0.0.1", "--port", str(port)]


def test_empty_message_and_sms_are_refused(cloud, env):
    send = run([*HOLOGRAM, "send", "", *CREDS, *target(cloud.port)], env)
    assert send.returncode == 2 and "an empty message" in send.stderr
    sms = run([*HOLOGRAM, "sms", "", "--destination", "+15551234567", *CREDS,
               *target(cloud.port)], env)
    assert sms.returncode == 2 and "an empty SMS" in sms.stderr
    with HologramCloud({"cloud_id": "q7zx", "cloud_key": "w9vy"}, enable_inbound=False,
                       send_host="127.0.0.1", send_port=cloud.port, outbox=False) as device:
        for text in (None, ""):
            with pytest.raises(ConfigurationError, match="an SMS needs text"):
                device.sendSMS("+15551234567", text)
    assert cloud.messages() == [] and cloud.sms() == []


def test_help_says_what_t_means(env):
    send = " ".join(run([*HOLOGRAM, "send", "--help"], env).stdout.split())
    receive = " ".join(run([*HOLOGRAM, "receive", "--help"], env).stdout.split())
    # Python 3.13's argparse prints the metavar once ("-t, --topic TOPIC"), older ones twice
    assert "-t [TOPIC ...], --topic" in send or "-t, --topic" in send
    assert "-t is --timeout" in send
    assert ("-t TIMEOUT, --timeout" in receive or "-t, --timeout" in receive)
    assert "-t is --topic" in receive


def test_send_and_sms_json(cloud, env):
    env = {**env, "HOLOGRAM_CLOUD_ID": "q7zx", "HOLOGRAM_CLOUD_KEY": "w9vy"}
    send = run([*HOLOGRAM, "send", "x", "--json", *target(cloud.port)], env)
    assert (send.returncode, send.stderr) == (0, "")
    assert json.loads(send.stdout) == {"ok": True, "code": 0, "result": "ERR_OK",
                                       "description": "Message sent successfully"}
    assert len(send.stdout.splitlines()) == 1
    sms = run([*HOLOGRAM, "sms", "hi", "--destination", "+15551234567", "--json",
               *target(cloud.port)], env)
    assert sms.returncode == 0 and json.loads(sms.stdout)["ok"] is True
    refused = run([*HOLOGRAM, "send", "x", "--json", *target(cloud.port)],
                  {**env, "HOLOGRAM_CLOUD_KEY": "nope"})
    assert refused.returncode == 1
    assert json.loads(refused.stdout)["code"] == 3 and not json.loads(refused.stdout)["ok"]
    raw = run([*HOLOGRAM, "send", "--raw", "x", "--json", *target(cloud.port)],
              {k: v for k, v in env.items() if not k.startswith("HOLOGRAM_")})
    assert raw.returncode == 1
    assert json.loads(raw.stdout) == {"ok": False, "reply": "[5,0]", "code": 5}


def test_outbox_json_and_a_topic_with_a_comma(env, tmp_path):
    path = tmp_path / "outbox.db"
    with HologramCloud({"cloud_id": "q7zx", "cloud_key": "w9vy"}, enable_inbound=False,
                       send_host="127.0.0.1", send_port=closed_port(), outbox=str(path)) as c:
        assert c.sendMessage("21.5", topics=["a,b", "c"], timeout=1) == -2
    listed = run([*HOLOGRAM, "outbox", "--db", str(path), "--json"], env)
    assert listed.returncode == 0, listed.stderr
    assert len(listed.stdout.splitlines()) == 1
    data = json.loads(listed.stdout)
    assert data["waiting"] == 1 and data["items"][0]["topics"] == ["a,b", "c"]
    assert "q7zx" not in listed.stdout and "w9vy" not in listed.stdout
    table = run([*HOLOGRAM, "outbox", "--db", str(path)], env).stdout
    assert '"a,b",c' in table
    cleared = run([*HOLOGRAM, "outbox", "--db", str(path), "clear", "--json"], env)
    assert json.loads(cleared.stdout)["removed"] == 1


def test_messages_table_topic_with_a_comma(cloud, env, tmp_path):
    run([*HOLOGRAM, "send", "x", "-t", "a,b", "c", *CREDS, *target(cloud.port)], env)
    run([*HOLOGRAM, "send", "y", "-t", "a", "b,c", *CREDS, *target(cloud.port)], env)
    out = run([*HOLOGRAM, "messages", "--db", str(tmp_path / "cloud.db")], env).stdout
    assert '"a,b",c' in out and 'a,"b,c"' in out


def test_network_json_is_one_line(env, tmp_path):
    done = run([*HOLOGRAM, "network", "--interface", "cellular-e303", "--port",
                str(tmp_path / "ttyUSB9"), "--state-dir", str(tmp_path), "status", "--json"],
               env)
    assert len(done.stdout.splitlines()) == 1 and json.loads(done.stdout)["link"] == "down"


def test_message_sent_fires_for_messages_not_for_a_direct_sms(cloud):
    fired = []
    with HologramCloud({"cloud_id": "q7zx", "cloud_key": "w9vy"}, enable_inbound=False,
                       send_host="127.0.0.1", send_port=cloud.port, outbox=False) as device:
        device.event.subscribe("message.sent", lambda *a: fired.append(a))
        assert device.sendSMS("+15551234567", "hi") == 0
        assert fired == []
        assert device.sendMessage("x") == 0
        assert len(fired) == 1
