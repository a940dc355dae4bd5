"""Modem, E303, MS2131 and IOTA against the emulator on a real pty."""

import os
import threading
import time
import tty

import pytest

from hologram_sdk.base import events
from hologram_sdk.base.errors import (
    ATCommandError,
    ConfigurationError,
    DriverNotAvailableError,
    InvalidPhoneNumberError,
    MessageTooLongError,
    ModemError,
    ModemTimeoutError,
    ModemUnpluggedError,
    SIMBusyError,
    SIMFailureError,
    SIMNotInsertedError,
    SIMPinRequiredError,
    SIMPukRequiredError,
)
from hologram_sdk.modem.at import ATChannel
from hologram_sdk.modem.e303 import E303
from hologram_sdk.modem.iota import IOTA
from hologram_sdk.modem.modem import (
    REGISTRATION_CHANGED,
    SIGNAL_CHANGED,
    Registration,
    Signal,
    SIMState,
)
from hologram_sdk.modem.ms2131 import MS2131
from tests.support.net import wait_for

CLASSES = {"e303": E303, "ms2131": MS2131, "iota": IOTA}


@pytest.mark.parametrize("profile", ["e303", "ms2131", "iota"])
def test_identity(make_emulator, profile):
    emu = make_emulator(
        profile,
        imei="351234567890123",
        imsi="310260123456789",
        iccid="8944501234567890123",
        operator="Hologram Test",
    )
    with CLASSES[profile](deviceName=emu.device) as modem:
        assert modem.imei == "351234567890123"
        assert modem.imsi == "310260123456789"
        assert modem.iccid == "8944501234567890123"
        assert modem.manufacturer == emu.profile.manufacturer
        assert modem.model and modem.revision
        assert modem.operator == "Hologram Test"
        assert modem.sim_state is SIMState.READY


def test_constructing_touches_nothing():
    modem = E303(deviceName="/dev/does-not-exist")
    assert (modem.mode, modem.localIPAddress, modem.remoteIPAddress) == ("ppp", None, None)
    assert modem.deviceName == "/dev/does-not-exist"
    modem.close()
    modem.close()


@pytest.mark.parametrize(("rssi", "dbm"), [(0, -113), (1, -111), (20, -73), (31, -51), (99, None)])
def test_signal_and_dbm(make_emulator, rssi, dbm):
    emu = make_emulator("e303", rssi=rssi)
    with E303(deviceName=emu.device) as modem:
        signal = modem.signal
        assert (signal.rssi, signal.ber, signal.dbm) == (rssi, 99, dbm)


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("home", Registration.HOME),
        ("roaming", Registration.ROAMING),
        ("searching", Registration.SEARCHING),
        ("denied", Registration.DENIED),
        ("not registered", Registration.NOT_REGISTERED),
    ],
)
def test_registration(make_emulator, state, expected):
    emu = make_emulator("ms2131", registration=state)
    with MS2131(deviceName=emu.device) as modem:
        assert modem.registration is expected


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("home", Registration.HOME),
        ("roaming", Registration.ROAMING),
        ("searching", Registration.SEARCHING),
        ("not registered", Registration.NOT_REGISTERED),
    ],
)
def test_an_lte_modem_is_registered_by_its_eps_domain(make_emulator, state, expected):
    """An LTE Cat-M modem says "not registered" on +CREG/+CGREG and the truth on +CEREG."""
    emu = make_emulator("iota", registration=state, rat="lte")
    with IOTA(deviceName=emu.device) as modem:
        assert modem.command("AT+CREG?") == ["+CREG: 2,0"]  # what misleads a CREG-only client
        assert modem.registration is expected


def test_a_modem_left_in_numeric_mode_is_set_back_to_verbose(make_emulator):
    """Another program left the modem in ATV0 ("0\r" for OK): the SDK still talks to it."""
    import serial

    emu = make_emulator("e303", imei="351234567890123")
    with serial.Serial(emu.device, timeout=0.5) as port:
        port.write(b"ATV0\r")
        answer = b""
        while not answer.endswith(b"0\r"):
            chunk = port.read(64)
            assert chunk, f"no numeric OK, got {answer!r}"
            answer += chunk
    with E303(deviceName=emu.device) as modem:
        assert modem.imei == "351234567890123"


def test_a_3g_modem_refuses_cereg_and_is_read_from_creg(make_emulator):
    emu = make_emulator("e303", registration="roaming")
    with E303(deviceName=emu.device) as modem:
        with pytest.raises(ATCommandError):
            modem.command("AT+CEREG?")
        assert modem.registration is Registration.ROAMING


def test_lte_registration_urcs_become_events_and_other_domains_do_not_hide_them(make_emulator):
    emu = make_emulator("iota", registration="searching", rat="lte")
    with IOTA(deviceName=emu.device) as modem:
        regs = []
        modem.event.subscribe(REGISTRATION_CHANGED, regs.append)
        modem.initialize()  # enables +CREG, +CGREG and +CEREG URCs
        emu.set(registration="home")
        assert wait_for(lambda: Registration.HOME in regs)
        assert modem.command("AT+COPS?")[0].endswith(",7")  # E-UTRAN
        emu.set(registration="denied")
        assert wait_for(lambda: regs[-1] is Registration.DENIED)


@pytest.mark.parametrize(
    ("sim", "state", "error"),
    [
        ("absent", SIMState.ABSENT, SIMNotInsertedError),
        ("pin", SIMState.PIN, SIMPinRequiredError),
        ("puk", SIMState.PUK, SIMPukRequiredError),
        ("failure", SIMState.FAILURE, SIMFailureError),
    ],
)
def test_sim_states_and_typed_errors(make_emulator, sim, state, error):
    emu = make_emulator("e303", sim=sim)
    with E303(deviceName=emu.device) as modem:
        assert modem.sim_state is state
        with pytest.raises(error) as info:
            modem.imsi  # noqa: B018
        assert (
            info.value.cme_code
            == {
                SIMNotInsertedError: 10,
                SIMPinRequiredError: 11,
                SIMPukRequiredError: 12,
                SIMFailureError: 13,
            }[error]
        )
        with pytest.raises(error):
            modem.iccid  # noqa: B018


def test_sim_busy_is_retried_then_raised(make_emulator):
    emu = make_emulator("e303", sim="busy")
    channel = ATChannel(emu.device, timeout=2.0, sim_busy_retries=2, sim_busy_backoff=0.05)
    with channel, E303(channel=channel) as modem:
        assert modem.sim_state is SIMState.BUSY
        before = len([c for c in emu.log if c == "AT+CIMI"])
        with pytest.raises(SIMBusyError):
            modem.imsi  # noqa: B018
        assert len([c for c in emu.log if c == "AT+CIMI"]) - before == 3  # 1 + 2 retries


def test_sim_busy_clears_during_retries(make_emulator):
    emu = make_emulator("e303")
    channel = ATChannel(emu.device, timeout=2.0, sim_busy_retries=5, sim_busy_backoff=0.1)
    timer = threading.Timer(0.15, lambda: emu.set(sim="ready"))
    with channel, E303(channel=channel) as modem:
        modem.initialize()
        emu.set(sim="busy")
        timer.start()
        try:
            assert modem.imsi == emu.imsi
        finally:
            timer.cancel()
            timer.join()


def test_raw_command_and_errors(emulator):
    with E303(deviceName=emulator.device) as modem:
        assert modem.command("AT+CSQ") == ["+CSQ: 20,99"]
        assert modem.command("AT") == []
        with pytest.raises(ATCommandError) as info:
            modem.command("AT+NOSUCHTHING")
        assert info.value.result == "ERROR"
        assert info.value.command == "AT+NOSUCHTHING"


def test_sms_send_text_mode(emulator):
    with E303(deviceName=emulator.device) as modem:
        reference = modem.send_sms("+15555550100", "Hello world", mode="text")
    sent = emulator.sent_sms[-1]
    assert (sent.number, sent.text, sent.mode, sent.reference) == (
        "+15555550100",
        "Hello world",
        "text",
        reference,
    )


@pytest.mark.parametrize("text", ["Hello world", "Grüße € ✓", "@$_{}[]"])
def test_sms_send_pdu_mode(emulator, text):
    with E303(deviceName=emulator.device) as modem:
        modem.send_sms("+15555550100", text, mode="pdu")
    sent = emulator.sent_sms[-1]
    assert (sent.number, sent.text, sent.mode) == ("+15555550100", text, "pdu")


def test_sms_text_mode_falls_back_to_pdu_for_other_alphabets(emulator):
    with E303(deviceName=emulator.device) as modem:
        modem.send_sms("+15555550100", "Привет", mode="text")
    assert (emulator.sent_sms[-1].text, emulator.sent_sms[-1].mode) == ("Привет", "pdu")


def test_sms_limits_and_numbers(emulator):
    with E303(deviceName=emulator.device) as modem:
        modem.send_sms("+15555550100", "x" * 160)
        modem.send_sms("+15555550100", "✓" * 70, mode="pdu")
        with pytest.raises(MessageTooLongError):
            modem.send_sms("+15555550100", "x" * 161)
        with pytest.raises(MessageTooLongError):
            modem.send_sms("+15555550100", "✓" * 71)
        for bad in ("15555550100", "+1", "+1555abc0100", ""):
            with pytest.raises(InvalidPhoneNumberError):
                modem.send_sms(bad, "hi")
    assert [s.text for s in emulator.sent_sms] == ["x" * 160, "✓" * 70]


def test_sms_send_failure_is_typed(emulator):
    emulator.faults.sms_error = 330
    with E303(deviceName=emulator.device) as modem:
        with pytest.raises(ATCommandError) as info:
            modem.send_sms("+15555550100", "hi")
    assert info.value.cme_code == 330


@pytest.mark.parametrize("mode", ["pdu", "text"])
def test_sms_list_read_delete(emulator, mode):
    emulator.deliver_sms("+15555550199", "Hi there")
    emulator.deliver_sms("+15555550198", "Ünïcode ✓")
    with E303(deviceName=emulator.device) as modem:
        listed = modem.list_sms("all", mode=mode)
        assert [(m.sender, m.text) for m in listed] == [
            ("+15555550199", "Hi there"),
            ("+15555550198", "Ünïcode ✓"),
        ]
        assert all(m.timestamp is not None for m in listed)
        first = modem.read_sms(listed[0].index, mode=mode)
        assert (first.sender, first.text) == ("+15555550199", "Hi there")
        modem.delete_sms(listed[0].index)
        assert [m.text for m in modem.list_sms(mode=mode)] == ["Ünïcode ✓"]
        assert modem.list_sms("unread", mode=mode) == []


def test_incoming_sms_event(emulator):
    with E303(deviceName=emulator.device) as modem:
        got = []
        modem.event.subscribe(events.SMS_RECEIVED, got.append)
        modem.initialize()  # first use: +CNMI=2,1 enables +CMTI
        caller = threading.get_ident()
        threads = []
        modem.event.subscribe(events.SMS_RECEIVED, lambda m: threads.append(threading.get_ident()))
        emulator.deliver_sms("+15555550199", "Ping ✓")
        assert wait_for(lambda: got)
        assert (got[0].sender, got[0].text, got[0].status) == ("+15555550199", "Ping ✓", "unread")
        assert threads and threads[0] != caller


def test_registration_and_signal_urcs_become_events(emulator):
    with E303(deviceName=emulator.device) as modem:
        regs, signals = [], []
        modem.event.subscribe(REGISTRATION_CHANGED, regs.append)
        modem.event.subscribe(SIGNAL_CHANGED, signals.append)
        modem.initialize()
        emulator.set(registration="roaming", rssi=7)
        assert wait_for(lambda: Registration.ROAMING in regs and signals)
        assert Signal(7, 99) in signals
        # the URCs never leak into an answer
        assert modem.registration is Registration.ROAMING
        assert modem.signal.rssi == 7


def test_garbage_lines_are_ignored(emulator):
    emulator.faults.garbage = [
        "\x00\x01\x02\xff",
        "^RSSI:12",
        "+UNKNOWNURC: 1,2",
        "^BOOT:1,0,0,0,7",
    ]
    with E303(deviceName=emulator.device) as modem:
        assert modem.model == "E303"
        assert modem.imei == emulator.imei
        assert modem.signal.rssi == 20
        assert modem.command("AT+CSQ") == ["+CSQ: 20,99"]


def test_slow_answer_times_out_with_partial_answer(emulator):
    with E303(deviceName=emulator.device, timeout=0.4) as modem:
        modem.initialize()
        emulator.faults.delay = 1.5
        start = time.monotonic()
        with pytest.raises(ModemTimeoutError) as info:
            modem.command("AT+CSQ")
        assert time.monotonic() - start < 1.2
        assert info.value.command == "AT+CSQ"
        assert isinstance(info.value, TimeoutError)
        emulator.faults.delay = 0.0
        emulator.faults.mute = True
        emulator.faults.garbage = []
        with pytest.raises(ModemTimeoutError):
            modem.command("AT+CGMM")


def test_partial_lines_are_reported_on_timeout():
    # a pty whose far end is this test, playing a modem that stops mid-answer
    master, slave = os.openpty()
    try:
        tty.setraw(slave)
        with ATChannel(os.ttyname(slave), timeout=0.3) as channel:
            timer = threading.Timer(0.05, os.write, (master, b"\r\n+CSQ: 9,99\r\n"))
            timer.start()
            try:
                with pytest.raises(ModemTimeoutError) as info:
                    channel.command("AT+CSQ")
            finally:
                timer.join()
            assert info.value.partial == ["+CSQ: 9,99"]
            assert info.value.command == "AT+CSQ"
            assert os.read(master, 100).startswith(b"AT+CSQ\r")
    finally:
        os.close(master)
        os.close(slave)


def test_unplug_mid_command(emulator):
    with E303(deviceName=emulator.device, timeout=5.0) as modem:
        modem.initialize()
        emulator.faults.delay = 1.0
        timer = threading.Timer(0.2, emulator.unplug)
        timer.start()
        start = time.monotonic()
        try:
            with pytest.raises(ModemUnpluggedError):
                modem.command("AT+CSQ")
        finally:
            timer.join()
        assert time.monotonic() - start < 2.0
        start = time.monotonic()
        with pytest.raises(ModemUnpluggedError):
            modem.imei  # noqa: B018
        assert time.monotonic() - start < 0.5


def test_unplug_on_command_then_reopen(make_emulator):
    emu = make_emulator("e303")
    emu.faults.unplug_on = "AT+CGMM"
    channel = ATChannel(emu.device, timeout=3.0)
    with channel:
        channel.command("ATE0")
        with pytest.raises(ModemUnpluggedError):
            channel.command("AT+CGMM")
        assert not channel.is_open
    # a fresh modem on a new pty: the same channel object opens again
    emu2 = make_emulator("e303")
    channel.url = emu2.device
    channel.open()
    try:
        assert channel.command("AT+CGMM")[-1] == "E303"
    finally:
        channel.close()
        channel.close()


def test_channel_reopen_after_close(emulator):
    channel = ATChannel(emulator.device)
    channel.open()
    assert channel.command("AT") == []
    channel.close()
    with pytest.raises(ModemUnpluggedError):
        channel.command("AT")
    channel.open()
    assert channel.command("AT") == []
    channel.close()


def test_urc_callback_errors_are_logged_not_raised(emulator, caplog):
    seen = []

    def bad(urc):
        seen.append((urc.name, threading.current_thread().name))
        raise RuntimeError("boom")

    with ATChannel(emulator.device, on_urc=bad) as channel:
        channel.command("AT+CREG=1")
        emulator.set(registration="searching")
        assert wait_for(lambda: seen)
        assert channel.command("AT") == []
    assert seen[0][0] == "+CREG"
    assert seen[0][1].startswith("at-urc")
    assert "boom" in caplog.text


def test_echo_on_and_off(emulator):
    with ATChannel(emulator.device) as channel:
        channel.command("ATE1")
        assert channel.command("AT+CSQ") == ["+CSQ: 20,99"]
        assert channel.command("AT+CGSN") == [emulator.imei]
        channel.command("ATE0")
        assert channel.command("AT+CSQ") == ["+CSQ: 20,99"]


def test_traffic_log_masks_imsi_and_iccid(emulator, caplog):
    caplog.set_level("DEBUG", logger="hologram_sdk.modem.at.traffic")
    with E303(deviceName=emulator.device) as modem:
        assert modem.imsi == emulator.imsi
        assert modem.iccid
    traffic = "\n".join(
        r.getMessage() for r in caplog.records if r.name == "hologram_sdk.modem.at.traffic"
    )
    assert "-> AT+CIMI" in traffic
    assert emulator.imsi not in traffic
    assert emulator.iccid[2:] not in traffic


def test_modes_and_link_delegation(emulator):
    with pytest.raises(ConfigurationError):
        E303(mode="serial")
    with pytest.raises(ConfigurationError):
        E303(baudRate="fast")
    assert IOTA(mode="serial").mode == "serial"
    modem = E303(deviceName=emulator.device)
    with pytest.raises(DriverNotAvailableError):
        modem.connect()
    with pytest.raises(DriverNotAvailableError):
        modem.disconnect()

    class LinkDouble:
        def __init__(self):
            self.calls = []

        def connect(self, timeout):
            self.calls.append(("connect", timeout))
            return True

        def disconnect(self):
            self.calls.append(("disconnect",))
            return True

    modem.link = LinkDouble()
    assert modem.connect(timeout=30) is True
    assert modem.disconnect() is True
    assert modem.link.calls == [("connect", 30), ("disconnect",)]
    modem.set_ip_addresses("10.0.0.2", "10.64.64.64")
    assert (modem.localIPAddress, modem.remoteIPAddress) == ("10.0.0.2", "10.64.64.64")
    modem.close()
    with pytest.raises(ModemError):
        modem.imei  # noqa: B018


def test_chat_script_default_and_explicit():
    assert E303().chatScriptFile.endswith("chatscripts/default-script")
    assert E303(chatScriptFile="../../example-script").chatScriptFile == "../../example-script"


def test_sim_url_in_process():
    with E303(deviceName="sim://e303?sim=absent") as modem:
        assert modem.sim_state is SIMState.ABSENT
        with pytest.raises(SIMNotInsertedError):
            modem.imsi  # noqa: B018
    with IOTA(deviceName="sim://iota?rssi=5") as modem:
        assert modem.signal.dbm == -103


def test_prompt_command_with_echo_on(emulator):
    with ATChannel(emulator.device) as channel:
        channel.command("ATE1")
        channel.command("AT+CMGF=1")
        lines = channel.command('AT+CMGS="+15555550100"', expect_prompt=True, payload="Echoed")
        assert len(lines) == 1 and lines[0].startswith("+CMGS: ")
    assert emulator.sent_sms[-1].text == "Echoed"


def test_incoming_sms_while_caller_uses_text_mode(emulator):
    with E303(deviceName=emulator.device) as modem:
        got = []
        modem.event.subscribe(events.SMS_RECEIVED, got.append)
        modem.initialize()
        for n in range(5):
            emulator.deliver_sms("+15555550199", f"msg {n}")
            assert modem.list_sms(mode="text")[-1].text == f"msg {n}"
        assert wait_for(lambda: len(got) == 5)
        assert sorted(m.text for m in got) == [f"msg {n}" for n in range(5)]
