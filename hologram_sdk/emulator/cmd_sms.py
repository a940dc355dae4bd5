"""SMS (27.005): the message store, delivery from the network, text entry, +CMGF...+CMGD."""

from __future__ import annotations

import datetime as _dt
import re
from typing import Optional

from hologram_sdk.base.errors import ConfigurationError, MessageTooLongError
from hologram_sdk.emulator.atcommand import (
    Command,
    CommandFailed,
    CommandTable,
    PromptForInput,
    int_arg,
    require,
)
from hologram_sdk.emulator.line import BS, CR, CTRL_Z, ESC, LF, LineDiscipline
from hologram_sdk.emulator.radio import Radio
from hologram_sdk.emulator.records import Faults, SentSms, StoredSms
from hologram_sdk.modem import pdu

SMS_STAT = ("REC UNREAD", "REC READ", "STO UNSENT", "STO SENT", "ALL")
SMS_CAPACITY = 23
_MEMORIES = ("ME", "SM", "MT")


class SmsStore:
    """The messages the modem holds and those it was asked to send."""

    def __init__(self, first_index: int) -> None:
        self.first_index = first_index
        self.messages: dict[int, StoredSms] = {}
        self.sent: list[SentSms] = []
        #: the next message reference
        self.reference = 0

    def free_index(self) -> Optional[int]:
        for index in range(self.first_index, self.first_index + SMS_CAPACITY):
            if index not in self.messages:
                return index
        return None

    def index(self, value: str) -> int:
        """A storage index argument (``+CMS ERROR: 321`` outside the store)."""
        try:
            index = int(value)
        except ValueError:
            raise CommandFailed("error") from None
        if not self.first_index <= index < self.first_index + SMS_CAPACITY:
            raise CommandFailed("cms", 321)
        return index


class _SmsEntry:
    """The text (or hex PDU) after ``AT+CMGS``'s prompt, up to Ctrl-Z (ESC cancels)."""

    def __init__(self, sms: SmsCommands, number: str, length: int) -> None:
        self._sms = sms
        self._number = number
        self._length = length
        self._text = bytearray()

    def take(self, byte: int, line: LineDiscipline) -> bool:
        after_cr, line.prev_cr = line.prev_cr, byte == CR
        if byte == LF and after_cr:
            return False
        if byte == CTRL_Z:
            self._sms.finish(bytes(self._text), self._number, self._length)
            return True
        if byte == ESC:
            line.send(line.final_bytes("OK"))
            return True
        if byte == CR:
            self._text.append(byte)
            line.send(b"\r\n> ")
        elif byte == BS:
            if self._text:
                self._text.pop()
        else:
            self._text.append(byte)
            if line.echo:
                line.send(bytes([byte]))
        return False


class SmsCommands:
    """The SMS settings and commands, and delivery of messages from the network."""

    def __init__(
        self, store: SmsStore, line: LineDiscipline, radio: Radio, faults: Faults, smsc: str
    ) -> None:
        self.store = store
        self.line = line
        self.radio = radio
        self.faults = faults
        self.smsc = smsc
        self.cmgf = 0
        self.cscs = "IRA"
        self.cpms = ["ME", "ME", "ME"]
        self.cnmi = [0, 0, 0, 0, 0]
        self.csmp = [17, 167, 0, 0]
        self.csdh = 0

    def te(self, text: str) -> str:
        """A string in the TE character set chosen by AT+CSCS."""
        return pdu.encode_ucs2_hex(text) if self.cscs == "UCS2" else text

    # --- from the network -----------------------------------------------------------

    def deliver(self, sender: str, text: str, when: _dt.datetime, smsc: str) -> int:
        """Store an arriving message and raise +CMTI (or route it as +CMT with <mt>=2).

        :returns: the storage index, or -1 when routed directly
        :raises MessageTooLongError: the text does not fit one SMS
        :raises ConfigurationError: the store is full or the sender is not usable
        """
        encoded = pdu.encode_deliver(sender, text, when, smsc=smsc)
        encoding = pdu.choose_encoding(text)
        message = StoredSms(0, sender, text, when, smsc, encoded, encoding)
        if self.cnmi[1] == 2:
            if self.cmgf:
                header = f'+CMT: "{self.te(sender)}",,"{pdu.format_scts(when)}"'
                self.line.urc(header + "\r\n" + self.te(text))
            else:
                self.line.urc(f"+CMT: ,{encoded.tpdu_length}\r\n{encoded.hex}")
            return -1
        index = self.store.free_index()
        if index is None:
            raise ConfigurationError("the emulated modem's message store is full")
        self.store.messages[index] = message
        if self.cnmi[1] == 1:
            self.line.urc(f'+CMTI: "{self.cpms[2]}",{index}')
        return index

    # --- sending ----------------------------------------------------------------------

    def finish(self, raw: bytes, number: str, length: int) -> None:
        """The entry after +CMGS ended with Ctrl-Z: send the message (or fail)."""
        try:
            sent = self._decode_entry(raw, number, length)
            if self.faults.sms_error is not None:
                raise CommandFailed("cms", self.faults.sms_error)
            if not self.radio.registered:
                raise CommandFailed("cms", 331)
        except CommandFailed as failure:
            self.line.answer_failure(failure)
            return
        self.store.sent.append(sent)
        self.store.reference = (self.store.reference + 1) % 256
        self.line.send(
            self.line.info_bytes([f"+CMGS: {sent.reference}"]) + self.line.final_bytes("OK"),
            delay=self.faults.delay,
        )

    def _decode_entry(self, raw: bytes, number: str, length: int) -> SentSms:
        reference = self.store.reference
        if number:
            if self.cscs == "UCS2":
                try:
                    text = pdu.decode_ucs2_hex(raw.decode("latin-1").replace("\r", ""))
                except ConfigurationError:
                    raise CommandFailed("cms", 305) from None
            else:
                text = raw.decode("latin-1")
            try:
                encoding = pdu.check_length(text)
            except (MessageTooLongError, ConfigurationError):
                raise CommandFailed("cms", 305) from None
            return SentSms(number, text, "text", reference, encoding)
        hex_pdu = re.sub(r"\s", "", raw.decode("latin-1"))
        try:
            submit = pdu.decode_submit(hex_pdu)
        except ConfigurationError:
            raise CommandFailed("cms", 304) from None
        smsc_octets = int(hex_pdu[:2], 16) + 1
        if len(hex_pdu) // 2 - smsc_octets != length:
            raise CommandFailed("cms", 304)
        return SentSms(
            submit.destination, submit.text, "pdu", reference, submit.encoding, hex_pdu.upper()
        )

    # --- handlers ------------------------------------------------------------------------

    def cmgf_(self, op: str, args: list[str]) -> list[str]:
        if op == "read":
            return [f"+CMGF: {self.cmgf}"]
        if op == "test":
            return ["+CMGF: (0-1)"]
        require(op == "set")
        self.cmgf = int_arg(args[0] or "0", 0, 1)
        return []

    def cscs_(self, op: str, args: list[str]) -> list[str]:
        if op == "read":
            return [f'+CSCS: "{self.cscs}"']
        if op == "test":
            return ['+CSCS: ("GSM","IRA","UCS2")']
        require(op == "set")
        value = args[0].upper()
        require(value in ("GSM", "IRA", "UCS2"))
        self.cscs = value
        return []

    def cpms_(self, op: str, args: list[str]) -> list[str]:
        used = len(self.store.messages)
        if op == "test":
            mems = "(" + ",".join(f'"{m}"' for m in _MEMORIES) + ")"
            return [f"+CPMS: {mems},{mems},{mems}"]
        if op == "read":
            return ["+CPMS: " + ",".join(f'"{m}",{used},{SMS_CAPACITY}' for m in self.cpms)]
        require(op == "set" and 1 <= len(args) <= 3)
        chosen = [a.upper() for a in args]
        if any(m not in _MEMORIES for m in chosen):
            raise CommandFailed("cms", 302)
        self.cpms[: len(chosen)] = chosen
        return ["+CPMS: " + ",".join(f"{used},{SMS_CAPACITY}" for _ in range(3))]

    def cnmi_(self, op: str, args: list[str]) -> list[str]:
        if op == "read":
            return ["+CNMI: " + ",".join(map(str, self.cnmi))]
        if op == "test":
            return ["+CNMI: (0-2),(0-3),(0-3),(0-2),(0-1)"]
        require(op == "set" and len(args) <= 5)
        for i, (value, hi) in enumerate(zip(args, (3, 3, 3, 2, 1))):
            if value:
                self.cnmi[i] = int_arg(value, 0, hi)
        return []

    def csmp_(self, op: str, args: list[str]) -> list[str]:
        if op == "read":
            return ["+CSMP: " + ",".join(map(str, self.csmp))]
        if op == "test":
            return []
        require(op == "set" and len(args) <= 4)
        for i, value in enumerate(args):
            if value:
                self.csmp[i] = int_arg(value, 0, 255)
        return []

    def csca(self, op: str, args: list[str]) -> list[str]:
        if op == "read":
            toa = 145 if self.smsc.startswith("+") else 129
            return [f'+CSCA: "{self.te(self.smsc)}",{toa}']
        if op == "test":
            return []
        require(op == "set" and bool(args[0]))
        number = pdu.decode_ucs2_hex(args[0]) if self.cscs == "UCS2" else args[0]
        require(bool(re.fullmatch(r"\+?\d{1,20}", number)))
        self.smsc = number
        return []

    def csdh_(self, op: str, args: list[str]) -> list[str]:
        if op == "read":
            return [f"+CSDH: {self.csdh}"]
        if op == "test":
            return ["+CSDH: (0-1)"]
        self.csdh = int_arg(args[0] or "0", 0, 1) if op == "set" else 0
        return []

    def cmgs(self, op: str, args: list[str]) -> list[str]:
        if op == "test":
            return []
        require(op == "set" and bool(args[0]))
        if self.cmgf:
            number = args[0]
            if self.cscs == "UCS2":
                try:
                    number = pdu.decode_ucs2_hex(number)
                except ConfigurationError:
                    raise CommandFailed("cms", 305) from None
            if not re.fullmatch(r"\+?\d{1,20}", number):
                raise CommandFailed("cms", 305)
            entry = _SmsEntry(self, number, 0)
        else:
            entry = _SmsEntry(self, "", int_arg(args[0], 1, 175))
        self.line.prev_cr = True  # an LF right after the command's CR is not text
        raise PromptForInput(b"\r\n> ", entry)

    def _render(self, index: int, message: StoredSms, listing: bool) -> list[str]:
        stat = SMS_STAT[message.stat]
        if self.cmgf:
            scts = pdu.format_scts(message.timestamp)
            head = f'"{stat}","{self.te(message.sender)}",,"{scts}"'
            if self.csdh and not listing:
                toa = 145 if message.sender.startswith("+") else 129
                tosca = 145 if message.smsc.startswith("+") else 129
                dcs = {"gsm7": 0, "8bit": 4, "ucs2": 8}[message.encoding.value]
                head += (
                    f',{toa},4,0,{dcs},"{self.te(message.smsc)}",{tosca},'
                    f"{len(message.text)}"
                )
            prefix = f"+CMGL: {index}," if listing else "+CMGR: "
            return [prefix + head, self.te(message.text)]
        length = message.encoded.tpdu_length
        prefix = f"+CMGL: {index},{message.stat},," if listing else f"+CMGR: {message.stat},,"
        return [f"{prefix}{length}", message.encoded.hex]

    def cmgr(self, op: str, args: list[str]) -> list[str]:
        if op == "test":
            return []
        require(op == "set")
        index = self.store.index(args[0])
        message = self.store.messages.get(index)
        if message is None:
            raise CommandFailed("cms", 321)
        lines = self._render(index, message, listing=False)
        if message.stat == 0:
            message.stat = 1
        return lines

    def cmgl(self, op: str, args: list[str]) -> list[str]:
        if op == "test":
            return ["+CMGL: " + ('("REC UNREAD","REC READ","STO UNSENT","STO SENT","ALL")'
                                 if self.cmgf else "(0-4)")]
        require(op in ("exec", "set"))
        wanted: int
        if op == "exec" or not args[0]:
            wanted = 0
        elif self.cmgf:
            require(args[0].upper() in SMS_STAT)
            wanted = SMS_STAT.index(args[0].upper())
        else:
            wanted = int_arg(args[0], 0, 4)
        lines: list[str] = []
        messages = self.store.messages
        for index in sorted(messages):
            message = messages[index]
            if wanted in (4, message.stat):
                lines += self._render(index, message, listing=True)
                if message.stat == 0:
                    message.stat = 1
        return lines

    def cmgd(self, op: str, args: list[str]) -> list[str]:
        messages = self.store.messages
        if op == "test":
            first = self.store.first_index
            return [f"+CMGD: ({','.join(map(str, sorted(messages)))}),(0-4)"
                    if messages else f"+CMGD: ({first}),(0-4)"]
        require(op == "set")
        flag = int_arg(args[1], 0, 4) if len(args) > 1 and args[1] else 0
        if flag == 0:
            messages.pop(self.store.index(args[0]), None)
            return []
        doomed = {1: (1,), 2: (1, 3), 3: (1, 2, 3), 4: (0, 1, 2, 3)}[flag]
        for index in [i for i, m in messages.items() if m.stat in doomed]:
            del messages[index]
        return []

    def commands(self) -> CommandTable:
        return {
            "+CMGF": Command(self.cmgf_),
            "+CSCS": Command(self.cscs_),
            "+CPMS": Command(self.cpms_, sim="cms"),
            "+CNMI": Command(self.cnmi_),
            "+CSMP": Command(self.csmp_),
            "+CSCA": Command(self.csca, sim="cms"),
            "+CSDH": Command(self.csdh_),
            "+CMGS": Command(self.cmgs, sim="cms"),
            "+CMGR": Command(self.cmgr, sim="cms"),
            "+CMGL": Command(self.cmgl, sim="cms"),
            "+CMGD": Command(self.cmgd, sim="cms"),
        }
