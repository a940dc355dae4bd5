"""MILENAGE (3GPP TS 35.206) and the GSM conversion functions c2/c3 (TS 33.102).

What a USIM computes for AUTHENTICATE, from its subscriber key K (Ki) and the
operator's OPc. The emulated SIM answers with it, and the local cloud checks
a SIM-OTP token by recomputing it; the tests hold it to the published test
sets of TS 35.207/35.208 (and TS 55.205 for the GSM values).

Constants (TS 35.206 §4.1): r1=64, r2=0, r3=32, r4=64, r5=96 (bits);
c1=0, c2=1, c3=2, c4=4, c5=8 (in the last byte).
"""

from __future__ import annotations

from dataclasses import dataclass

from hologram_sdk.wire.auth.aes import encrypt_block, expand_key

_C = {2: 1, 3: 2, 4: 4, 5: 8}
_R = {1: 8, 2: 0, 3: 4, 4: 8, 5: 12}  # in bytes


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b))


def _rot(value: bytes, nbytes: int) -> bytes:
    """Rotate left by ``nbytes`` bytes (the r constants are whole bytes)."""
    return value[nbytes:] + value[:nbytes]


def _key(name: str, value: bytes, size: int = 16) -> bytes:
    if not isinstance(value, (bytes, bytearray)) or len(value) != size:
        raise ValueError(f"{name} must be {size} bytes")
    return bytes(value)


def opc_from_op(k: bytes, op: bytes) -> bytes:
    """OPc = OP XOR E_K(OP)."""
    k, op = _key("K", k), _key("OP", op)
    return _xor(op, encrypt_block(k, op))


@dataclass(frozen=True)
class Vectors:
    """The outputs of f1-f5* for one RAND (``repr`` shows none of them)."""

    mac_a: bytes  # f1, 8 bytes
    mac_s: bytes  # f1*, 8 bytes
    res: bytes  # f2, 8 bytes
    ck: bytes  # f3, 16 bytes
    ik: bytes  # f4, 16 bytes
    ak: bytes  # f5, 6 bytes
    ak_s: bytes  # f5*, 6 bytes

    def __repr__(self) -> str:
        return "Vectors(masked)"


class Milenage:
    """MILENAGE for one subscriber: ``Milenage(k, opc=...)`` or ``Milenage(k, op=...)``.

    Holds key material: it has no ``repr`` that shows it, and nothing here logs.

    :raises ValueError: K, OP or OPc not 16 bytes, or neither or both of OP/OPc given
    """

    def __init__(self, k: bytes, *, opc: bytes | None = None, op: bytes | None = None) -> None:
        self._k = _key("K", k)
        if (opc is None) == (op is None):
            raise ValueError("give exactly one of opc= or op=")
        self._rk = expand_key(self._k)
        self._opc = _key("OPc", opc) if opc is not None else opc_from_op(self._k, op or b"")

    def __repr__(self) -> str:
        return "Milenage(masked)"

    @property
    def opc(self) -> bytes:
        return self._opc

    def _e(self, block: bytes) -> bytes:
        return encrypt_block(self._k, block, self._rk)

    def _temp(self, rand: bytes) -> bytes:
        return self._e(_xor(_key("RAND", rand), self._opc))

    def _out(self, temp: bytes, n: int) -> bytes:
        const = bytes(15) + bytes((_C[n],))
        return _xor(self._e(_xor(_rot(_xor(temp, self._opc), _R[n]), const)), self._opc)

    def f1(self, rand: bytes, sqn: bytes, amf: bytes) -> tuple[bytes, bytes]:
        """``(MAC-A, MAC-S)``: f1 and f1* (8 bytes each)."""
        temp = self._temp(rand)
        in1 = _key("SQN", sqn, 6) + _key("AMF", amf, 2)
        in1 = in1 + in1
        out1 = _xor(self._e(_xor(temp, _rot(_xor(in1, self._opc), _R[1]))), self._opc)
        return out1[:8], out1[8:]

    def f2345(self, rand: bytes) -> tuple[bytes, bytes, bytes, bytes, bytes]:
        """``(RES, CK, IK, AK, AK*)``: f2, f3, f4, f5 and f5*."""
        temp = self._temp(rand)
        out2 = self._out(temp, 2)
        return out2[8:], self._out(temp, 3), self._out(temp, 4), out2[:6], self._out(temp, 5)[:6]

    def vectors(self, rand: bytes, sqn: bytes = bytes(6), amf: bytes = bytes(2)) -> Vectors:
        """Every output for one RAND (SQN and AMF matter only to f1/f1*)."""
        mac_a, mac_s = self.f1(rand, sqn, amf)
        res, ck, ik, ak, ak_s = self.f2345(rand)
        return Vectors(mac_a, mac_s, res, ck, ik, ak, ak_s)

    def gsm(self, rand: bytes) -> tuple[bytes, bytes]:
        """The GSM security context: ``(SRES, Kc)`` via c2 and c3 of TS 33.102."""
        res, ck, ik, _ak, _ak_s = self.f2345(rand)
        return c2(res), c3(ck, ik)


def c2(res: bytes) -> bytes:
    """SRES from RES (TS 33.102 §6.8.1.2): XOR of RES's 4-byte blocks, padded to 16 bytes."""
    if not 4 <= len(res) <= 16:
        raise ValueError("RES is 4 to 16 bytes")
    padded = bytes(res) + bytes(16 - len(res))
    sres = padded[:4]
    for i in range(4, 16, 4):
        sres = _xor(sres, padded[i : i + 4])
    return sres


def c3(ck: bytes, ik: bytes) -> bytes:
    """Kc from CK and IK (TS 33.102 §6.8.1.2): CK1 ^ CK2 ^ IK1 ^ IK2 (8-byte halves)."""
    ck, ik = _key("CK", ck), _key("IK", ik)
    return _xor(_xor(ck[:8], ck[8:]), _xor(ik[:8], ik[8:]))
