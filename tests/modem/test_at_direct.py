"""The AT channel on a descriptor port: the caller's thread reads the answer itself.

The far end of each pty here is :class:`ScriptedModem`, a test double played by
the test: it writes answers in pieces and waits until the channel has read each
piece (the pty's input queue is empty) before writing the next, so a line is
really split across reads, whatever the machine's speed.
"""

import fcntl
import os
import struct
import termios
import threading
import time
import tty

import pytest

from hologram_sdk.base.errors import ModemUnpluggedError
from hologram_sdk.modem.at import ATChannel
from tests.support.net import wait_for


class ScriptedModem:
    """A test double for a modem: the master end of a real pty, driven by the test."""

    def __init__(self):
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.device = os.ttyname(self.slave)
        self.received = b""

    def expect(self, data: bytes, timeout: float = 5.0) -> None:
        """Read what the channel writes until ``data`` came (bounded)."""
        deadline = time.monotonic() + timeout
        os.set_blocking(self.master, False)
        while data not in self.received:
            assert time.monotonic() < deadline, f"never received {data!r}: {self.received!r}"
            try:
                self.received += os.read(self.master, 1024)
            except BlockingIOError:
                time.sleep(0.002)
        self.received = self.received.split(data, 1)[1]

    def unread(self) -> int:
        """Bytes written to the channel that it has not read yet."""
        raw = fcntl.ioctl(self.slave, termios.FIONREAD, struct.pack("i", 0))
        return int(struct.unpack("i", raw)[0])

    def send(self, *pieces: bytes) -> None:
        """Write each piece once the channel has read everything before it."""
        for piece in pieces:
            os.write(self.master, piece)
            assert wait_for(lambda: self.unread() == 0, timeout=5.0), "the channel stopped reading"

    def answer(self, command: bytes, *pieces: bytes) -> threading.Thread:
        """In a thread: wait for ``command``, then send ``pieces``."""
        def play():
            self.expect(command)
            self.send(*pieces)

        thread = threading.Thread(target=play, name="scripted-modem")
        thread.start()
        return thread

    def close(self) -> None:
        if self.master is not None:
            os.close(self.master)
        os.close(self.slave)


@pytest.fixture
def modem():
    double = ScriptedModem()
    yield double
    double.close()


def _run(channel: ATChannel, modem: ScriptedModem, command: str, *pieces: bytes) -> list:
    thread = modem.answer(command.encode() + b"\r", *pieces)
    try:
        return channel.command(command)
    finally:
        thread.join(10)


def test_a_pty_is_read_by_the_commands_own_thread(modem):
    with ATChannel(modem.device, timeout=5.0) as channel:
        assert channel.reads_directly
        assert _run(channel, modem, "AT", b"\r\nOK\r\n") == []
    assert not channel.reads_directly
    assert not ATChannel("loop://").reads_directly


@pytest.mark.parametrize(
    "pieces",
    [
        # echo, information line and final result cut mid-line and between CR and LF
        (b"AT+CSQ\r\r", b"\n+CSQ: 1", b"2,99\r", b"\n\r\nO", b"K", b"\r\n"),
        # one byte at a time
        tuple(bytes([b]) for b in b"\r\n+CSQ: 12,99\r\n\r\nOK\r\n"),
    ],
)
def test_a_line_split_across_reads_is_not_lost(modem, pieces):
    with ATChannel(modem.device, timeout=5.0) as channel:
        assert _run(channel, modem, "AT+CSQ", *pieces) == ["+CSQ: 12,99"]
        assert _run(channel, modem, "AT", b"\r\nOK\r\n") == []


def test_a_urc_during_a_command_is_delivered_and_kept_out_of_the_answer(modem):
    urcs = []
    with ATChannel(modem.device, timeout=5.0, on_urc=urcs.append) as channel:
        lines = _run(channel, modem, "AT+CSQ",
                     b'\r\n+CMTI: "SM",3\r\n',  # before the answer
                     b"\r\n+CSQ: 7,99\r\n",
                     b"\r\n+CREG: 5\r\n",  # between the answer and its OK
                     b"\r\nOK\r\n")
        assert lines == ["+CSQ: 7,99"]
        assert wait_for(lambda: len(urcs) == 2, timeout=5.0)
    assert [u.line for u in urcs] == ['+CMTI: "SM",3', "+CREG: 5"]


def test_a_urc_split_between_idle_and_a_command_is_delivered_whole(modem):
    urcs = []
    with ATChannel(modem.device, timeout=5.0, on_urc=urcs.append) as channel:
        modem.send(b'\r\n+CMTI: "SM"')  # read between commands, by the watcher
        lines = _run(channel, modem, "AT+CSQ", b",4\r\n", b"\r\n+CSQ: 8,99\r\n\r\nOK\r\n")
        assert lines == ["+CSQ: 8,99"]
        # and a URC begun in the command's last read, finished between commands
        assert _run(channel, modem, "AT", b'\r\nOK\r\n\r\n+CMTI: "SM",', b"5\r\n") == []
        assert wait_for(lambda: len(urcs) == 2, timeout=5.0)
    assert [u.fields for u in urcs] == [["SM", "4"], ["SM", "5"]]


def test_urcs_between_commands_are_delivered_without_a_command(modem):
    urcs = []
    with ATChannel(modem.device, timeout=5.0, on_urc=urcs.append) as channel:
        assert _run(channel, modem, "AT", b"\r\nOK\r\n") == []
        modem.send(b"\r\nRING\r\n")
        assert wait_for(lambda: urcs, timeout=5.0)
        assert urcs[0].name == "RING"


def test_what_came_before_a_command_is_not_its_answer(modem):
    # a late OK (a previous command that timed out) already waits in the port
    with ATChannel(modem.device, timeout=5.0) as channel:
        assert _run(channel, modem, "AT", b"\r\nOK\r\n") == []
        # the watcher may be parked for a moment after a command: write while it is
        os.write(modem.master, b"\r\n+CSQ: 1,99\r\n\r\nOK\r\n")
        lines = _run(channel, modem, "AT+CSQ", b"\r\n+CSQ: 9,99\r\n\r\nOK\r\n")
        assert lines == ["+CSQ: 9,99"]


def test_close_during_a_command_ends_it_at_once(modem):
    channel = ATChannel(modem.device, timeout=30.0)
    channel.open()

    def close_when_asked():
        modem.expect(b"AT+CSQ\r")
        channel.close()

    closer = threading.Thread(target=close_when_asked)
    closer.start()
    start = time.monotonic()
    try:
        with pytest.raises(ModemUnpluggedError):
            channel.command("AT+CSQ")
    finally:
        closer.join(10)
    assert time.monotonic() - start < 10.0  # not the command's 30 s timeout
    assert not any(t.name.startswith("at-") for t in threading.enumerate())
    channel.close()  # idempotent


def test_the_far_end_going_away_mid_command_is_unplugged(modem):
    def hang_up():
        modem.expect(b"AT+CSQ\r")
        modem.send(b"\r\n+CSQ: 9")
        os.close(modem.master)  # the channel's reads fail with EIO from now on
        modem.master = None

    with ATChannel(modem.device, timeout=30.0) as channel:
        thread = threading.Thread(target=hang_up)
        thread.start()
        start = time.monotonic()
        try:
            with pytest.raises(ModemUnpluggedError):
                channel.command("AT+CSQ")
        finally:
            thread.join(10)
        assert time.monotonic() - start < 10.0
        assert not channel.is_open
        with pytest.raises(ModemUnpluggedError):
            channel.command("AT")


def _voluntary_switches(thread: threading.Thread) -> int:
    with open(f"/proc/self/task/{thread.native_id}/status") as status:
        for line in status:
            if line.startswith("voluntary_ctxt_switches:"):
                return int(line.split()[1])
    raise AssertionError("no voluntary_ctxt_switches line")


def test_an_idle_channel_sleeps_in_one_wait(modem):
    # no polling: the watcher blocks in poll() with no timeout, so it does not
    # wake up at all while nothing arrives (counted by the kernel, not timed)
    with ATChannel(modem.device, timeout=5.0) as channel:
        assert _run(channel, modem, "AT", b"\r\nOK\r\n") == []
        watcher = next(t for t in threading.enumerate() if t.name.startswith("at-reader"))
        time.sleep(0.3)  # the watcher is back in its poll (woken by the command's end)
        before = _voluntary_switches(watcher)
        time.sleep(0.5)
        assert _voluntary_switches(watcher) == before
        modem.send(b"\r\nRING\r\n")  # and it still hears the port
        assert wait_for(lambda: _voluntary_switches(watcher) > before, timeout=5.0)


def test_a_huge_timeout_is_waited_in_bounded_polls(modem):
    # poll() takes a C int of milliseconds: a year must not overflow it
    with ATChannel(modem.device, timeout=365 * 86400.0) as channel:
        assert _run(channel, modem, "AT+CSQ", b"\r\n+CSQ: 3,99\r\n", b"\r\nOK\r\n") == ["+CSQ: 3,99"]


def test_urcs_before_an_answer_are_handled_before_the_command_returns(modem):
    # the old connection's close must be handled before its id is handed out again
    handled = []

    def slow_handler(urc):
        time.sleep(0.3)
        handled.append(urc.line)

    with ATChannel(modem.device, timeout=5.0, on_urc=slow_handler) as channel:
        lines = _run(channel, modem, "AT+USOCR=6",
                     b"\r\n+UUSOCL: 1\r\n", b"\r\n+USOCR: 1\r\n\r\nOK\r\n")
        assert handled == ["+UUSOCL: 1"]
        assert lines == ["+USOCR: 1"]


def test_a_urc_handler_may_send_a_command_itself(modem):
    answers = []

    def handler(urc):
        if urc.name == "+CMTI":
            answers.append(channel.command("AT+CPMS?"))

    def play():
        modem.expect(b"AT\r")
        modem.send(b'\r\n+CMTI: "SM",1\r\n', b"\r\nOK\r\n")
        modem.expect(b"AT+CPMS?\r")  # sent by the handler, on the dispatcher thread
        modem.send(b"\r\n+CPMS: 1,20,1,20,1,20\r\n\r\nOK\r\n")

    with ATChannel(modem.device, timeout=5.0, on_urc=handler) as channel:
        thread = threading.Thread(target=play)
        thread.start()
        try:
            lines = channel.command("AT")
        finally:
            thread.join(10)
        assert lines == []
        assert wait_for(lambda: answers, timeout=5.0)
        assert answers == [["+CPMS: 1,20,1,20,1,20"]]
