"""The emulated USIM: its card side (APDUs in, APDUs out) and the ``+CSIM`` family.

:class:`Usim` is what ``AT+CSIM`` reaches on a real modem. Only what SIM-OTP uses is there:
AUTHENTICATE (``INS 88``) in the GSM security context (``P2 80``), computed
with MILENAGE from the card's Ki and OPc and converted with c2/c3 (TS 33.102),
answering ``04 <SRES> 08 <Kc> 90 00``. Everything else gets the status word
a card would give (ISO 7816-4): ``6E00`` class not supported, ``6D00``
instruction not supported, ``6A86`` wrong P1/P2 (the 3G context is not
emulated), ``6700`` wrong length, ``6982`` while the PIN is not verified.

The Ki and OPc never appear in a ``repr`` or a log line.
"""

from __future__ import annotations

from typing import Optional

from hologram_sdk.base.errors import ConfigurationError
from hologram_sdk.emulator.atcommand import (
    Command,
    CommandTable,
    int_arg,
    require,
)
from hologram_sdk.emulator.sim import Sim
from hologram_sdk.wire.auth import milenage, simotp

#: 3GPP TS 35.208 test set 1: a published key, so the default SIM is no secret
DEFAULT_KI = "465b5ce8b199b49faa5f0a2ee238a6bc"
DEFAULT_OPC = "cd63cb71954a9f4e48a5994e37a02baf"

SW_OK = "9000"
SW_WRONG_LENGTH = "6700"
SW_SECURITY = "6982"
SW_WRONG_P1P2 = "6A86"
SW_INS = "6D00"
SW_CLA = "6E00"


def parse_key(value: object, name: str) -> bytes:
    """A 16-byte key given as 32 hex digits (or bytes).

    :raises ConfigurationError: anything else (the value is not shown)
    """
    if isinstance(value, (bytes, bytearray)) and len(value) == 16:
        return bytes(value)
    if isinstance(value, str) and len(value) == 32:
        try:
            return bytes.fromhex(value)
        except ValueError:
            pass
    raise ConfigurationError(f"{name} must be 32 hex digits (16 bytes)")


class Usim:
    """A USIM that answers AUTHENTICATE (GSM context) with MILENAGE.

    :param ki: the subscriber key K (32 hex digits or 16 bytes)
    :param opc: the operator key OPc (32 hex digits or 16 bytes)
    :raises ConfigurationError: a key of the wrong form
    """

    def __init__(self, ki: object = DEFAULT_KI, opc: object = DEFAULT_OPC) -> None:
        self._milenage = milenage.Milenage(parse_key(ki, "ki"), opc=parse_key(opc, "opc"))

    def __repr__(self) -> str:
        return "Usim(masked)"

    def transmit(self, apdu: str, pin_verified: bool = True) -> str:
        """The response APDU (hex, status word last) to a command APDU (hex)."""
        try:
            raw = bytes.fromhex(apdu)
        except ValueError:
            return SW_WRONG_LENGTH
        if len(raw) < 4:
            return SW_WRONG_LENGTH
        cla, ins, p1, p2 = raw[0], raw[1], raw[2], raw[3]
        if cla not in (0x00, 0xA0):
            return SW_CLA
        if ins != 0x88:
            return SW_INS
        if p1 != 0x00 or p2 != 0x80:
            return SW_WRONG_P1P2
        if not pin_verified:
            return SW_SECURITY
        rand = self._rand(raw)
        if rand is None:
            return SW_WRONG_LENGTH
        sres, kc = self._milenage.gsm(rand)
        return simotp.authenticate_response(sres, kc)

    @staticmethod
    def _rand(raw: bytes) -> Optional[bytes]:
        # Lc = 17, then RAND's length byte 16 and RAND; Le (00) may follow
        if len(raw) not in (22, 23) or raw[4] != 17 or raw[5] != 16:
            return None
        return raw[6:22]


class UsimCommands:
    """``AT+CSIM`` (3GPP TS 27.007 §8.17): command APDUs to the card, its answers back.

    A missing, failed or busy SIM is a ``+CME ERROR`` from the modem; a SIM
    waiting for its PIN passes the APDU on and the card answers ``6982``.

    :param sim: the modem's SIM (its state)
    :param usim: the card side that computes the answers
    """

    def __init__(self, sim: Sim, usim: Usim) -> None:
        self.sim = sim
        self.usim = usim

    def csim(self, op: str, args: list[str]) -> list[str]:
        if op == "test":
            return []
        require(op == "set" and len(args) == 2)
        length = int_arg(args[0], 2, 522)
        apdu = args[1]
        require(length == len(apdu) and length % 2 == 0)
        if self.sim.state not in ("ready", "pin", "puk"):
            self.sim.require("cme")
        response = self.usim.transmit(apdu, pin_verified=self.sim.ready)
        return [f'+CSIM: {len(response)},"{response}"']

    def commands(self) -> CommandTable:
        return {"+CSIM": Command(self.csim)}
