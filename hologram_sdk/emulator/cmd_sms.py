"""SMS: the message text entry and +CMGF, +CSCS, +CPMS, +CNMI, +CSCA, +CMGS/R/L/D..."""

from __future__ import annotations

import re
from typing import Any

from hologram_sdk.base.errors import ConfigurationError, MessageTooLongError
from hologram_sdk.emulator.atargs import _Fail, _int, _Prompt, _syntax
from hologram_sdk.emulator.command_line import BS, CR, CTRL_Z, ESC, LF
from hologram_sdk.emulator.records import SentSms, _Stored
from hologram_sdk.emulator.state import EmulatorState
from hologram_sdk.modem import pdu

_SMS_STAT = ("REC UNREAD", "REC READ", "STO UNSENT", "STO SENT", "ALL")
_SMS_CAPACITY = 23
_MEMORIES = ("ME", "SM", "MT")


class SmsCommands(EmulatorState):
    """The SMS text entry after AT+CMGS and the SMS command handlers."""

    # --- text entry ---------------------------------------------------------------

    def _sms_byte(self, byte: int) -> None:
        after_cr, self._prev_cr = self._prev_cr, byte == CR
        if byte == LF and after_cr:
            return
        if byte == CTRL_Z:
            self._mode = "command"
            self._finish_sms(bytes(self._entry))
            self._entry.clear()
            self._flush_urcs()
        elif byte == ESC:
            self._mode = "command"
            self._entry.clear()
            self._send(self._final_bytes("OK"))
            self._flush_urcs()
        elif byte == CR:
            self._entry.append(byte)
            self._send(b"\r\n> ")
        elif byte == BS:
            if self._entry:
                self._entry.pop()
        else:
            self._entry.append(byte)
            if self._echo:
                self._send(bytes([byte]))

    def _finish_sms(self, raw: bytes) -> None:
        ctx = self._entry_ctx
        try:
            sent = self._decode_entry(raw, ctx)
            if self.faults.sms_error is not None:
                raise _Fail("cms", self.faults.sms_error)
            if self._stat() not in (1, 5):
                raise _Fail("cms", 331)
        except _Fail as failure:
            self._send(self._final_bytes(self._error_text(failure)), delay=self.faults.delay)
            return
        self._sent.append(sent)
        self._mr = (self._mr + 1) % 256
        out = self._info_bytes([f"+CMGS: {sent.reference}"]) + self._final_bytes("OK")
        self._send(out, delay=self.faults.delay)

    def _decode_entry(self, raw: bytes, ctx: dict[str, Any]) -> SentSms:
        if ctx["mode"] == "text":
            if self._cscs == "UCS2":
                try:
                    text = pdu.decode_ucs2_hex(raw.decode("latin-1").replace("\r", ""))
                except ConfigurationError:
                    raise _Fail("cms", 305) from None
            else:
                text = raw.decode("latin-1")
            try:
                encoding = pdu.check_length(text)
            except (MessageTooLongError, ConfigurationError):
                raise _Fail("cms", 305) from None
            return SentSms(ctx["number"], text, "text", self._mr, encoding)
        hex_pdu = re.sub(r"\s", "", raw.decode("latin-1"))
        try:
            submit = pdu.decode_submit(hex_pdu)
        except ConfigurationError:
            raise _Fail("cms", 304) from None
        smsc_octets = int(hex_pdu[:2], 16) + 1
        if len(hex_pdu) // 2 - smsc_octets != ctx["length"]:
            raise _Fail("cms", 304)
        return SentSms(
            submit.destination, submit.text, "pdu", self._mr, submit.encoding, hex_pdu.upper()
        )

    # SMS ------------------------------------------------------------------------

    def _h_cmgf(self, op: str, args: list[str]) -> list[str]:
        if op == "read":
            return [f"+CMGF: {self._cmgf}"]
        if op == "test":
            return ["+CMGF: (0-1)"]
        _syntax(op == "set")
        self._cmgf = _int(args[0] or "0", 0, 1)
        return []

    def _h_cscs(self, op: str, args: list[str]) -> list[str]:
        if op == "read":
            return [f'+CSCS: "{self._cscs}"']
        if op == "test":
            return ['+CSCS: ("GSM","IRA","UCS2")']
        _syntax(op == "set")
        value = args[0].upper()
        _syntax(value in ("GSM", "IRA", "UCS2"))
        self._cscs = value
        return []

    def _h_cpms(self, op: str, args: list[str]) -> list[str]:
        used = len(self._store)
        if op == "test":
            mems = "(" + ",".join(f'"{m}"' for m in _MEMORIES) + ")"
            return [f"+CPMS: {mems},{mems},{mems}"]
        if op == "read":
            return ["+CPMS: " + ",".join(f'"{m}",{used},{_SMS_CAPACITY}' for m in self._cpms)]
        _syntax(op == "set" and 1 <= len(args) <= 3)
        chosen = [a.upper() for a in args]
        if any(m not in _MEMORIES for m in chosen):
            raise _Fail("cms", 302)
        self._cpms[: len(chosen)] = chosen
        return ["+CPMS: " + ",".join(f"{used},{_SMS_CAPACITY}" for _ in range(3))]

    def _h_cnmi(self, op: str, args: list[str]) -> list[str]:
        if op == "read":
            return ["+CNMI: " + ",".join(map(str, self._cnmi))]
        if op == "test":
            return ["+CNMI: (0-2),(0-3),(0-3),(0-2),(0-1)"]
        _syntax(op == "set" and len(args) <= 5)
        for i, (value, hi) in enumerate(zip(args, (3, 3, 3, 2, 1))):
            if value:
                self._cnmi[i] = _int(value, 0, hi)
        return []

    def _h_csmp(self, op: str, args: list[str]) -> list[str]:
        if op == "read":
            return ["+CSMP: " + ",".join(map(str, self._csmp))]
        if op == "test":
            return []
        _syntax(op == "set" and len(args) <= 4)
        for i, value in enumerate(args):
            if value:
                self._csmp[i] = _int(value, 0, 255)
        return []

    def _h_csca(self, op: str, args: list[str]) -> list[str]:
        if op == "read":
            toa = 145 if self.smsc.startswith("+") else 129
            return [f'+CSCA: "{self._te(self.smsc)}",{toa}']
        if op == "test":
            return []
        _syntax(op == "set" and bool(args[0]))
        number = pdu.decode_ucs2_hex(args[0]) if self._cscs == "UCS2" else args[0]
        _syntax(bool(re.fullmatch(r"\+?\d{1,20}", number)))
        self.smsc = number
        return []

    def _h_csdh(self, op: str, args: list[str]) -> list[str]:
        if op == "read":
            return [f"+CSDH: {self._csdh}"]
        if op == "test":
            return ["+CSDH: (0-1)"]
        self._csdh = _int(args[0] or "0", 0, 1) if op == "set" else 0
        return []

    def _h_cmgs(self, op: str, args: list[str]) -> list[str]:
        if op == "test":
            return []
        _syntax(op == "set" and bool(args[0]))
        if self._cmgf:
            number = args[0]
            if self._cscs == "UCS2":
                try:
                    number = pdu.decode_ucs2_hex(number)
                except ConfigurationError:
                    raise _Fail("cms", 305) from None
            if not re.fullmatch(r"\+?\d{1,20}", number):
                raise _Fail("cms", 305)
            self._entry_ctx = {"mode": "text", "number": number}
        else:
            length = _int(args[0], 1, 175)
            self._entry_ctx = {"mode": "pdu", "length": length}
        self._mode = "sms"
        self._entry.clear()
        self._prev_cr = True  # an LF right after the command's CR is not text
        raise _Prompt(b"\r\n> ")

    def _index(self, value: str) -> int:
        first = self.profile.first_sms_index
        try:
            index = int(value)
        except ValueError:
            raise _Fail("error") from None
        if not first <= index < first + _SMS_CAPACITY:
            raise _Fail("cms", 321)
        return index

    def _render(self, index: int, message: _Stored, listing: bool) -> list[str]:
        stat = _SMS_STAT[message.stat]
        if self._cmgf:
            scts = pdu.format_scts(message.timestamp)
            head = f'"{stat}","{self._te(message.sender)}",,"{scts}"'
            if self._csdh and not listing:
                toa = 145 if message.sender.startswith("+") else 129
                tosca = 145 if message.smsc.startswith("+") else 129
                dcs = {"gsm7": 0, "8bit": 4, "ucs2": 8}[message.encoding.value]
                head += (
                    f',{toa},4,0,{dcs},"{self._te(message.smsc)}",{tosca},'
                    f"{len(message.text)}"
                )
            prefix = f"+CMGL: {index}," if listing else "+CMGR: "
            return [prefix + head, self._te(message.text)]
        length = message.encoded.tpdu_length
        prefix = f"+CMGL: {index},{message.stat},," if listing else f"+CMGR: {message.stat},,"
        return [f"{prefix}{length}", message.encoded.hex]

    def _h_cmgr(self, op: str, args: list[str]) -> list[str]:
        if op == "test":
            return []
        _syntax(op == "set")
        index = self._index(args[0])
        message = self._store.get(index)
        if message is None:
            raise _Fail("cms", 321)
        lines = self._render(index, message, listing=False)
        if message.stat == 0:
            message.stat = 1
        return lines

    def _h_cmgl(self, op: str, args: list[str]) -> list[str]:
        if op == "test":
            return ["+CMGL: " + ('("REC UNREAD","REC READ","STO UNSENT","STO SENT","ALL")'
                                 if self._cmgf else "(0-4)")]
        wanted: int
        if op == "exec" or not args[0]:
            wanted = 0
        elif self._cmgf:
            _syntax(args[0].upper() in _SMS_STAT)
            wanted = _SMS_STAT.index(args[0].upper())
        else:
            wanted = _int(args[0], 0, 4)
        lines: list[str] = []
        for index in sorted(self._store):
            message = self._store[index]
            if wanted in (4, message.stat):
                lines += self._render(index, message, listing=True)
                if message.stat == 0:
                    message.stat = 1
        return lines

    def _h_cmgd(self, op: str, args: list[str]) -> list[str]:
        if op == "test":
            first = self.profile.first_sms_index
            return [f"+CMGD: ({','.join(map(str, sorted(self._store)))}),(0-4)"
                    if self._store else f"+CMGD: ({first}),(0-4)"]
        _syntax(op == "set")
        flag = _int(args[1], 0, 4) if len(args) > 1 and args[1] else 0
        if flag == 0:
            self._store.pop(self._index(args[0]), None)
            return []
        doomed = {1: (1,), 2: (1, 3), 3: (1, 2, 3), 4: (0, 1, 2, 3)}[flag]
        for index in [i for i, m in self._store.items() if m.stat in doomed]:
            del self._store[index]
        return []
