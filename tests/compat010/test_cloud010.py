"""hologram-python 0.10's cloud surface on our clouds, against a real local cloud and
real loopback servers."""

from __future__ import annotations

import socket

import pytest

from hologram_sdk.emulator.cloud import LocalCloud
from tests.support.net import wait_for as wait_until
from tests.support.servers import HOST, ReplyServer

KEY = {"devicekey": "12345678"}


@pytest.fixture
def local_cloud(tmp_path):
    with LocalCloud(port=0, db=tmp_path / "cloud.db", idle_timeout=2.0) as cloud:
        yield cloud


def test_constructor_of_0_10_with_its_defaults():
    from Hologram.HologramCloud import HologramCloud

    with HologramCloud(KEY, False, "", "csrpsk", None, outbox=False) as cloud:
        assert (cloud.send_host, cloud.send_port) == ("cloudsocket.hologram.io", 9999)
        assert (cloud.receive_host, cloud.receive_port) == ("0.0.0.0", 4010)
        assert cloud.authenticationType == "csrpsk"
        assert cloud.version == "0.9.1"  # what 0.10.x reports; ours is getSDKVersion()
        assert cloud.getSDKVersion() != cloud.version
        assert cloud.network_type == "Network Agnostic Mode"
        assert cloud.getResultString(-1) == "Unknown error"
        assert cloud.getResultString(1) == (
            "Connection was closed so we couldn't read the whole message"
        )


def test_authentication_types():
    from Exceptions.HologramError import HologramError
    from Hologram.HologramCloud import HologramCloud

    with pytest.raises(HologramError, match="Invalid authentication type: nope"):
        HologramCloud(KEY, enable_inbound=False, authentication_type="nope")
    with HologramCloud(KEY, enable_inbound=False, outbox=False) as cloud:
        assert cloud.authenticationType == "csrpsk"  # the reference's default
        with pytest.raises(HologramError, match="Invalid authentication type: x"):
            cloud.setAuthenticationType(KEY, authentication_type="x")
        cloud.setAuthenticationType({"devicekey": "abcdefgh"}, authentication_type="csrpsk")
        assert cloud.credentials == {"devicekey": "abcdefgh"}


def test_send_with_0_10_calls_to_a_local_cloud(local_cloud):
    from Hologram.HologramCloud import ERR_OK, HologramCloud

    cloud = HologramCloud(KEY, enable_inbound=False, authentication_type="csrpsk", outbox=False)
    with cloud:
        cloud.send_host, cloud.send_port = HOST, local_cloud.port  # settable, as in 0.10
        assert cloud.sendMessage("hello", topics=["a"]) == ERR_OK
        with pytest.raises(Exception, match="SMS cannot be more than 160 characters long"):
            cloud.sendSMS("+15551234567", "x" * 161)
        assert cloud.sendSMS("+15551234567", "hi") == ERR_OK
    stored = local_cloud.messages()
    assert [(m.data, m.topics) for m in stored] == [("hello", ["a"])]
    assert [s.text for s in local_cloud.sms()] == ["hi"]


def test_settable_ports_are_checked():
    from Hologram.CustomCloud import CustomCloud

    with CustomCloud(None, "example.com", 9999, outbox=False) as cloud:
        cloud.receive_port = "4010"
        assert cloud.receive_port == 4010
        with pytest.raises(ValueError, match="send_port"):
            cloud.send_port = "ninety"
        assert cloud.send_port == 9999


def test_cloud_base_and_custom_cloud_refusals():
    from Hologram.Cloud import Cloud
    from Hologram.CustomCloud import CustomCloud

    with Cloud(None, send_host="127.0.0.1", send_port=9999, outbox=False) as cloud:
        with pytest.raises(NotImplementedError, match="Must instantiate a Cloud type"):
            cloud.sendMessage("x")
        with pytest.raises(NotImplementedError, match="Must instantiate a Cloud type"):
            cloud.sendSMS("+15551234567", "x")
    with pytest.raises(ValueError, match="Must set receive host and port for inbound"):
        CustomCloud(None, send_host="example.com", send_port=9999, enable_inbound=True)


def test_periodic_messages_run_and_stop():
    from Hologram.CustomCloud import CustomCloud

    with ReplyServer(reply=b"ok") as server:
        cloud = CustomCloud(None, HOST, server.port, outbox=False)
        with pytest.raises(ValueError, match="Interval cannot be less than 1 seconds"):
            cloud.sendPeriodicMessage(0.5, "tick")
        cloud.sendPeriodicMessage(1, "tick")
        assert cloud.periodicMessageRunning()
        with pytest.raises(ValueError, match="Cannot have more than 1 periodic message job"):
            cloud.sendPeriodicMessage(1, "tock")
        assert wait_until(lambda: len(server.requests) >= 2, timeout=10)
        cloud.stopPeriodicMessage()
        assert not cloud.periodicMessageRunning()
        count = len(server.requests)
        cloud.stopPeriodicMessage()  # idempotent
        cloud.sendPeriodicMessage(1, "again")  # a new job once the last one stopped
        assert wait_until(lambda: len(server.requests) > count, timeout=10)
        cloud.close()  # close() ends the job too
        assert not cloud.periodicMessageRunning()
    assert set(server.requests) <= {b"tick", b"again"}


def test_periodic_job_ends_when_the_cloud_refuses(local_cloud):
    from Hologram.HologramCloud import HologramCloud

    with HologramCloud({"cloud_id": "abcd", "cloud_key": "efgh"}, enable_inbound=False,
                       send_host=HOST, send_port=local_cloud.port, outbox=False) as cloud:
        cloud.sendPeriodicMessage(1, "x", topics="t")
        assert wait_until(lambda: len(local_cloud.messages()) >= 1, timeout=10)
        cloud.stopPeriodicMessage()
    # refused: a server answering an error code ends the job by itself
    with ReplyServer(reply=b"[3,0]") as server, HologramCloud(
        KEY, enable_inbound=False, send_host=HOST, send_port=server.port, outbox=False
    ) as cloud:
        cloud.sendPeriodicMessage(1, "x")
        assert wait_until(lambda: not cloud.periodicMessageRunning(), timeout=10)
        assert len(server.requests) == 1


def test_received_sms_needs_a_modem():
    from Hologram.HologramCloud import HologramCloud

    with HologramCloud(KEY, enable_inbound=False, outbox=False) as cloud:
        with pytest.raises(ValueError, match="received SMS are read from a modem"):
            cloud.popReceivedSMS()


def test_received_sms_through_a_0_10_modem():
    import datetime

    from Hologram.HologramCloud import HologramCloud
    from Hologram.Network.Modem import Nova_U201
    from hologram_sdk.emulator.modem import ModemEmulator

    with ModemEmulator("iota") as emu:
        emu.start()
        modem = Nova_U201(device_name=emu.device)
        with modem, HologramCloud(KEY, enable_inbound=False, network="cellular",
                                  modem=modem, outbox=False) as cloud:
            assert cloud.network.modem is modem
            when = datetime.datetime(2017, 6, 24, 0, 26, 49, tzinfo=datetime.timezone.utc)
            emu.deliver_sms("+447937405250", "Test 123", timestamp=when)
            cloud.enableSMS()
            sms = cloud.popReceivedSMS()
            assert (sms.sender, sms.message) == ("447937405250", "Test 123")
            assert sms.timestamp == datetime.datetime(2017, 6, 24, 0, 26, 49)
            assert cloud.popReceivedSMS() is None  # it was deleted from the modem


def test_inbound_port_closed_by_close():
    from Hologram.CustomCloud import CustomCloud

    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
    cloud = CustomCloud(None, receive_host=HOST, receive_port=port, enable_inbound=True,
                        outbox=False)
    cloud.close()
    cloud.close()


def test_network_answers_for_its_modem_as_in_0_10():
    from Hologram.HologramCloud import HologramCloud
    from Hologram.Network.Modem import Nova_U201
    from hologram_sdk.emulator.modem import ModemEmulator

    with ModemEmulator("iota") as emu:
        emu.start()
        with Nova_U201(device_name=emu.device) as modem, HologramCloud(
            KEY, enable_inbound=False, network="cellular", modem=modem, outbox=False
        ) as cloud:
            assert cloud.network.imsi == "001010123456789"  # 0.10: cloud.network.imsi
            assert cloud.network.signal_strength.count(",") == 1
            assert cloud.network.at_sockets_available is False  # PPP mode
            with pytest.raises(AttributeError, match="nor its modem"):
                cloud.network.no_such_thing  # noqa: B018
    with HologramCloud(KEY, enable_inbound=False, outbox=False) as cloud:
        with pytest.raises(AttributeError):
            cloud.network.imsi  # noqa: B018 - non-network mode has no modem
