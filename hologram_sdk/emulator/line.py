"""The line discipline: command-line input, answer framing, URC timing, prompts, data mode.

:class:`LineDiscipline` is the modem's serial side. It reads bytes in one of
four modes: *command* (echo, edit, run a line at CR), *entry* (after a prompt:
bytes go to the :class:`~hologram_sdk.emulator.atcommand.Entry` that asked),
*data* (a packet-data call: bytes are kept, ``+++`` with guard times returns
to command state) -- and frames what goes back (echo, ATV0/1, ATQ, +CMEE).
URCs raised while a command runs follow its answer; URCs raised during an
entry or in data mode wait for command state.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Callable, Optional

from hologram_sdk.emulator.atcommand import (
    Command,
    CommandFailed,
    Entry,
    FinalResult,
    PromptForInput,
    split_args,
)
from hologram_sdk.emulator.records import Faults
from hologram_sdk.emulator.sim import Sim

logger = logging.getLogger(__name__)

CR, LF, BS, DEL, CTRL_Z, ESC = 0x0D, 0x0A, 0x08, 0x7F, 0x1A, 0x1B

#: +CME ERROR texts for AT+CMEE=2 (27.007 9.2, and vendors' own codes)
CME_TEXT = {
    0: "phone failure",
    3: "operation not allowed",
    4: "operation not supported",
    10: "SIM not inserted",
    11: "SIM PIN required",
    12: "SIM PUK required",
    13: "SIM failure",
    14: "SIM busy",
    16: "incorrect password",
    21: "invalid index",
    30: "no network service",
    50: "incorrect parameters",
    100: "unknown",
    # Quectel GNSS
    504: "Session is ongoing",
    505: "Session not active",
    516: "Not fixed now",
}

_NUMERIC = {
    "OK": "0",
    "CONNECT": "1",
    "RING": "2",
    "NO CARRIER": "3",
    "ERROR": "4",
    "NO DIALTONE": "6",
    "BUSY": "7",
    "NO ANSWER": "8",
}


class LineDiscipline:
    """Reads command lines and runs them; frames answers; carries prompts and data mode.

    :param send: queue bytes for the link, after ``delay`` seconds
    :param sim: checked before SIM-dependent commands
    :param faults: the fault switches (mute, garbage, delay, unplug_on)
    :param unplug: called when the ``unplug_on`` fault fires
    :param escape_guard: guard time in seconds around ``+++``
    """

    def __init__(
        self,
        send: Callable[[bytes, float], None],
        sim: Sim,
        faults: Faults,
        unplug: Callable[[], None],
        escape_guard: float,
    ) -> None:
        self._send = send
        self.sim = sim
        self.faults = faults
        self._unplug = unplug
        self.escape_guard = escape_guard
        #: name -> command: what the installed families answer
        self.commands: dict[str, Command] = {}
        #: every command line received (without its CR), oldest first
        self.log: list[str] = []
        #: bytes the client sent in data mode (up to 1 MiB)
        self.data_received = bytearray()
        self.unplugged = False
        self.mode = "command"  # command | entry | data
        self.call_up = False
        self.prev_cr = False
        self._line = bytearray()
        self._last_line = ""
        self._entry: Optional[Entry] = None
        self._pending_urcs: list[str] = []
        self._after: list[str] = []
        self._executing = False
        self._esc_count = 0
        self.esc_deadline: Optional[float] = None
        #: (due, URC text): URCs that come later (a location request's timeout)
        self._timed: list[tuple[float, str]] = []
        self._last_data_rx = 0.0
        self.reset_settings()

    # --- settings -----------------------------------------------------------------

    def reset_settings(self) -> None:
        """The settings ATZ and AT&F restore."""
        self.echo = True
        self.verbose = True
        self.quiet = False
        self.x = 4
        self.cmee = 0

    # --- framing ------------------------------------------------------------------

    def send(self, data: bytes, delay: float = 0.0) -> None:
        """Queue raw bytes for the client."""
        self._send(data, delay)

    def info_bytes(self, lines: list[str]) -> bytes:
        body = "".join(line + "\r\n" for line in lines)
        text = ("\r\n" + body) if self.verbose else body
        return text.encode("latin-1", errors="replace")

    def final_bytes(self, result: str) -> bytes:
        if self.verbose:
            return f"\r\n{result}\r\n".encode("latin-1")
        code = _NUMERIC.get(result.split(" ")[0] if result.startswith("CONNECT") else result)
        if code is not None:
            return f"{code}\r".encode("latin-1")
        return f"{result}\r\n".encode("latin-1")

    def error_text(self, failure: CommandFailed) -> str:
        if failure.kind == "cms":
            return f"+CMS ERROR: {failure.code}"
        if failure.kind == "cme" and self.cmee == 1:
            return f"+CME ERROR: {failure.code}"
        if failure.kind == "cme" and self.cmee == 2:
            return f"+CME ERROR: {CME_TEXT.get(failure.code, 'unknown')}"
        return "ERROR"

    def answer(self, lines: list[str], result: str = "OK") -> None:
        """An entry's answer: information lines and a final result (after the delay fault)."""
        out = self.info_bytes(lines) if lines else b""
        if not self.quiet:
            out += self.final_bytes(result)
        self.send(out, delay=self.faults.delay)

    def answer_failure(self, failure: CommandFailed) -> None:
        self.send(self.final_bytes(self.error_text(failure)), delay=self.faults.delay)

    def urc(self, text: str) -> None:
        """An unsolicited result code: now, after the running command, or in command state."""
        if self._executing:  # raised by the command being run: after its answer
            self._after.append(text)
            return
        if self.mode != "command":
            self._pending_urcs.append(text)
            return
        self.send(self.info_bytes([text]))

    def after_answer(self, text: str) -> None:
        """A URC the running command raises, sent right after its answer."""
        self._after.append(text)

    def urc_later(self, seconds: float, text: str) -> None:
        """Raise URC ``text`` in ``seconds`` (as a modem answering when its timer runs out)."""
        self._timed.append((time.monotonic() + seconds, text))
        self._timed.sort()

    def next_deadline(self) -> Optional[float]:
        """When :meth:`tick` must run next (a ``+++`` guard time or a timed URC)."""
        deadlines = [d for d in (self.esc_deadline,) if d is not None]
        if self._timed:
            deadlines.append(self._timed[0][0])
        return min(deadlines) if deadlines else None

    def flush_urcs(self) -> None:
        pending, self._pending_urcs = self._pending_urcs, []
        for text in pending:
            self.urc(text)

    # --- input --------------------------------------------------------------------

    def receive(self, data: bytes) -> None:
        now = time.monotonic()
        for byte in data:
            if self.unplugged:
                return
            if self.mode == "data":
                self._data_byte(byte, now)
            elif self.mode == "entry":
                assert self._entry is not None
                if self._entry.take(byte, self):
                    self._entry = None
                    self.mode = "command"
                    self.flush_urcs()
            else:
                self._command_byte(byte)

    def _command_byte(self, byte: int) -> None:
        if self.faults.mute:
            return
        after_cr, self.prev_cr = self.prev_cr, byte == CR
        if byte == LF:
            if not after_cr and self.echo:
                self.send(b"\n")
            return
        if self.echo:
            self.send(bytes([byte]))
        if byte == CR:
            line = bytes(self._line)
            self._line.clear()
            self._execute_line(line.decode("latin-1"))
        elif byte in (BS, DEL):
            if self._line:
                self._line.pop()
        elif len(self._line) < 2048:
            self._line.append(byte)
            if self._line.upper() == b"A/":
                self._line.clear()
                if self._last_line:
                    self._execute_line(self._last_line)

    def _execute_line(self, raw: str) -> None:
        text = raw.strip()
        start = text.upper().find("AT")
        if start < 0:
            return  # a modem waits for "AT"; anything else is ignored
        text = text[start:]
        self.log.append(text)
        logger.debug("emulator got %r", "AT+CPIN=<hidden>" if "CPIN=" in text.upper() else text)
        unplug_on = self.faults.unplug_on
        if unplug_on and text.upper().startswith(unplug_on.upper()):
            self._unplug()
            return
        self._last_line = text
        blocks: list[list[str]] = []
        final: Optional[str] = "OK"
        prompt: Optional[bytes] = None
        self._after = []
        self._executing = True
        try:
            for name, op, args in parse_line(text[2:]):
                blocks.append(self._run(name, op, args))
        except CommandFailed as failure:
            final = self.error_text(failure)
        except FinalResult as result:
            final = result.result
        except PromptForInput as asked:
            final, prompt = None, asked.prompt
            self._entry = asked.entry
            self.mode = "entry"
        except Exception:  # a bug in a handler: say so, answer ERROR, keep serving
            logger.exception("modem emulator: command %r failed", text)
            final = "ERROR"
        finally:
            self._executing = False
        out = bytearray()
        if prompt is None:
            for line in self.faults.garbage:
                out += f"\r\n{line}\r\n".encode("latin-1", errors="replace")
        for block in blocks:
            if block:
                out += self.info_bytes(block)
        if prompt is not None:
            out += prompt
        elif not self.quiet and final is not None:
            out += self.final_bytes(final)
        if self.mode == "command":
            for urc in self._after:
                out += self.info_bytes([urc])
        else:  # a prompt or data mode: hold them
            self._pending_urcs.extend(self._after)
        self._after = []
        self.send(bytes(out), delay=self.faults.delay)
        if self.mode == "command":
            self.flush_urcs()

    def _run(self, name: str, op: str, args: str) -> list[str]:
        command = self.commands.get(name)
        if command is None:
            raise CommandFailed("error")
        if command.sim and op != "test":
            self.sim.require(command.sim)
        return command.handler(op, split_args(args) if op == "set" else [])

    # --- data mode ----------------------------------------------------------------

    def enter_data(self) -> None:
        """A data call is up: the port carries data from now on."""
        self.mode = "data"
        self.call_up = True
        self._esc_count = 0
        self.esc_deadline = None
        self._last_data_rx = time.monotonic()

    def end_call(self) -> bool:
        """The call ends (ATH, or the network's hang-up). Returns whether one was up."""
        was_up = self.call_up
        self.call_up = False
        self.esc_deadline = None
        return was_up

    def hang_up(self) -> bool:
        """The network ends the data call: ``NO CARRIER`` and back to command state."""
        if not self.end_call():
            return False
        self.mode = "command"
        self.send(self.final_bytes("NO CARRIER"))
        self.flush_urcs()
        return True

    def _data_byte(self, byte: int, now: float) -> None:
        if len(self.data_received) < 1 << 20:
            self.data_received.append(byte)
        quiet = now - self._last_data_rx >= self.escape_guard
        if byte == ord("+") and (0 < self._esc_count < 3 or (self._esc_count == 0 and quiet)):
            self._esc_count += 1
            self.esc_deadline = now + self.escape_guard if self._esc_count == 3 else None
        else:
            self._esc_count = 0
            self.esc_deadline = None
        self._last_data_rx = now

    def tick(self) -> None:
        """Time passed: timed URCs are due; a ``+++`` and its guard time end data mode."""
        now = time.monotonic()
        while self._timed and self._timed[0][0] <= now:
            self.urc(self._timed.pop(0)[1])
        if self.esc_deadline is not None and time.monotonic() >= self.esc_deadline:
            self.esc_deadline = None
            self._esc_count = 0
            if self.mode == "data":
                self.mode = "command"  # online command state: the call stays up
                self.prev_cr = False
                self._line.clear()
                if not self.quiet:
                    self.send(self.final_bytes("OK"))
                self.flush_urcs()


_EXTENDED = re.compile(r"([+^][A-Za-z0-9]+)(.*)$", re.DOTALL)
_AMPERSAND = re.compile(r"&([A-Za-z])(\d*)")
_S_REGISTER = re.compile(r"[Ss](\d+)(=(\d*)|\?)?")
_BASIC = re.compile(r"([A-Za-z])(\d*)")


def parse_line(body: str) -> list[tuple[str, str, str]]:
    """Split a command line (after "AT") into (name, op, args) triples."""
    out: list[tuple[str, str, str]] = []
    i, n = 0, len(body)
    while i < n:
        ch = body[i]
        if ch in " ;":
            i += 1
            continue
        if ch in "+^":
            j = i + 1
            quoted = False
            while j < n and (quoted or body[j] != ";"):
                if body[j] == '"':
                    quoted = not quoted
                j += 1
            command = body[i:j]
            m = _EXTENDED.match(command)
            if m is None:
                raise CommandFailed("error")
            rest = m.group(2).strip()
            if rest == "":
                op, args = "exec", ""
            elif rest == "?":
                op, args = "read", ""
            elif rest == "=?":
                op, args = "test", ""
            elif rest.startswith("="):
                op, args = "set", rest[1:]
            else:
                raise CommandFailed("error")
            out.append((m.group(1).upper(), op, args))
            i = j
        elif ch in "Dd":
            out.append(("D", "set", body[i + 1 :].strip()))
            break
        elif ch == "&":
            m = _AMPERSAND.match(body, i)
            if m is None:
                raise CommandFailed("error")
            out.append(("&" + m.group(1).upper(), "set", m.group(2)))
            i = m.end()
        elif ch in "Ss":
            m = _S_REGISTER.match(body, i)
            if m is None:
                raise CommandFailed("error")
            if m.group(2) == "?":
                out.append(("S", "read", m.group(1)))
            elif m.group(2):
                out.append(("S", "set", f"{m.group(1)},{m.group(3) or 0}"))
            else:
                out.append(("S", "exec", m.group(1)))
            i = m.end()
        elif ch.isalpha():
            m = _BASIC.match(body, i)
            assert m is not None
            out.append((m.group(1).upper(), "set", m.group(2)))
            i = m.end()
        else:
            raise CommandFailed("error")
    return out
