"""The AT command line: answer framing, line input and parsing, data mode and ``+++``."""

from __future__ import annotations

import logging
import re
import time
from typing import Optional

from hologram_sdk.emulator.atargs import _Fail, _Final, _Prompt
from hologram_sdk.emulator.state import EmulatorState
from hologram_sdk.modem import pdu

logger = logging.getLogger(__name__)

CR, LF, BS, DEL, CTRL_Z, ESC = 0x0D, 0x0A, 0x08, 0x7F, 0x1A, 0x1B

_CME_TEXT = {
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


class CommandLine(EmulatorState):
    """Frames answers, reads command lines and runs them, and carries data mode."""

    # --- framing ------------------------------------------------------------------

    def _reset_settings(self) -> None:
        self._echo = True
        self._verbose = True
        self._quiet = False
        self._x = 4
        self._cmee = 0

    def _info_bytes(self, lines: list[str]) -> bytes:
        body = "".join(line + "\r\n" for line in lines)
        text = ("\r\n" + body) if self._verbose else body
        return text.encode("latin-1", errors="replace")

    def _final_bytes(self, result: str) -> bytes:
        if self._verbose:
            return f"\r\n{result}\r\n".encode("latin-1")
        code = _NUMERIC.get(result.split(" ")[0] if result.startswith("CONNECT") else result)
        if code is not None:
            return f"{code}\r".encode("latin-1")
        return f"{result}\r\n".encode("latin-1")

    def _error_text(self, failure: _Fail) -> str:
        if failure.kind == "cms":
            return f"+CMS ERROR: {failure.code}"
        if failure.kind == "cme" and self._cmee == 1:
            return f"+CME ERROR: {failure.code}"
        if failure.kind == "cme" and self._cmee == 2:
            return f"+CME ERROR: {_CME_TEXT.get(failure.code, 'unknown')}"
        return "ERROR"

    def _urc(self, text: str) -> None:
        if self._executing:  # raised by the command being run: after its answer
            self._after.append(text)
            return
        if self._mode != "command":
            self._pending_urcs.append(text)
            return
        self._send(self._info_bytes([text]))

    def _flush_urcs(self) -> None:
        pending, self._pending_urcs = self._pending_urcs, []
        for text in pending:
            self._urc(text)

    def _te(self, text: str) -> str:
        """A string in the TE character set chosen by AT+CSCS."""
        return pdu.encode_ucs2_hex(text) if self._cscs == "UCS2" else text

    # --- input --------------------------------------------------------------------

    def _receive(self, data: bytes) -> None:
        now = time.monotonic()
        for byte in data:
            if self._unplugged:
                return
            if self._mode == "data":
                self._data_byte(byte, now)
            elif self._mode == "sms":
                self._sms_byte(byte)
            elif self._mode == "binary":
                self._binary_byte(byte)
            else:
                self._command_byte(byte)

    def _command_byte(self, byte: int) -> None:
        if self.faults.mute:
            return
        after_cr, self._prev_cr = self._prev_cr, byte == CR
        if byte == LF:
            if not after_cr and self._echo:
                self._send(b"\n")
            return
        if self._echo:
            self._send(bytes([byte]))
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
        self._log.append(text)
        logger.debug("emulator got %r", "AT+CPIN=<hidden>" if "CPIN=" in text.upper() else text)
        unplug_on = self.faults.unplug_on
        if unplug_on and text.upper().startswith(unplug_on.upper()):
            self.unplug()
            return
        self._last_line = text
        blocks: list[list[str]] = []
        final: Optional[str] = "OK"
        prompt: Optional[bytes] = None
        self._after = []
        self._executing = True
        try:
            for name, op, args in self._parse(text[2:]):
                blocks.append(self._run(name, op, args))
        except _Fail as failure:
            final = self._error_text(failure)
        except _Final as result:
            final = result.result
        except _Prompt as asked:
            final, prompt = None, asked.prompt
        finally:
            self._executing = False
        out = bytearray()
        if prompt is None:
            for line in self.faults.garbage:
                out += f"\r\n{line}\r\n".encode("latin-1", errors="replace")
        for block in blocks:
            if block:
                out += self._info_bytes(block)
        if prompt is not None:
            out += prompt
        elif not self._quiet and final is not None:
            out += self._final_bytes(final)
        if self._mode == "command":
            for urc in self._after:
                out += self._info_bytes([urc])
        else:  # a prompt or data mode: hold them
            self._pending_urcs.extend(self._after)
        self._after = []
        self._send(bytes(out), delay=self.faults.delay)
        if self._mode == "command":
            self._flush_urcs()

    def _parse(self, body: str) -> list[tuple[str, str, str]]:
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
                m = re.match(r"([+^][A-Za-z0-9]+)(.*)$", command, re.DOTALL)
                if m is None:
                    raise _Fail("error")
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
                    raise _Fail("error")
                out.append((m.group(1).upper(), op, args))
                i = j
            elif ch in "Dd":
                out.append(("D", "set", body[i + 1 :].strip()))
                break
            elif ch == "&":
                m = re.match(r"&([A-Za-z])(\d*)", body[i:])
                if m is None:
                    raise _Fail("error")
                out.append(("&" + m.group(1).upper(), "set", m.group(2)))
                i += m.end()
            elif ch in "Ss":
                m = re.match(r"[Ss](\d+)(=(\d*)|\?)?", body[i:])
                if m is None:
                    raise _Fail("error")
                if m.group(2) == "?":
                    out.append(("S", "read", m.group(1)))
                elif m.group(2):
                    out.append(("S", "set", f"{m.group(1)},{m.group(3) or 0}"))
                else:
                    out.append(("S", "exec", m.group(1)))
                i += m.end()
            elif ch.isalpha():
                m = re.match(r"([A-Za-z])(\d*)", body[i:])
                assert m is not None
                out.append((m.group(1).upper(), "set", m.group(2)))
                i += m.end()
            else:
                raise _Fail("error")
        return out

    # --- data mode ----------------------------------------------------------------

    def _enter_data(self) -> None:
        self._mode = "data"
        self._call_up = True
        self._esc_count = 0
        self._esc_deadline = None
        self._last_data_rx = time.monotonic()

    def _data_byte(self, byte: int, now: float) -> None:
        if len(self.data_received) < 1 << 20:
            self.data_received.append(byte)
        quiet = now - self._last_data_rx >= self.escape_guard
        if byte == ord("+") and (0 < self._esc_count < 3 or (self._esc_count == 0 and quiet)):
            self._esc_count += 1
            self._esc_deadline = now + self.escape_guard if self._esc_count == 3 else None
        else:
            self._esc_count = 0
            self._esc_deadline = None
        self._last_data_rx = now

    def _tick(self) -> None:
        if self._esc_deadline is not None and time.monotonic() >= self._esc_deadline:
            self._esc_deadline = None
            self._esc_count = 0
            if self._mode == "data":
                self._mode = "command"  # online command state: the call stays up
                self._prev_cr = False
                self._line.clear()
                if not self._quiet:
                    self._send(self._final_bytes("OK"))
                self._flush_urcs()
