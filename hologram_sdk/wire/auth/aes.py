"""AES-128, encryption of one block only (FIPS-197): the block cipher MILENAGE runs on.

The standard library has no AES, and the SDK's dependencies stay pyserial and
hjson: MILENAGE needs only the forward cipher on 16-byte blocks, which is small
enough to write out. The S-box is computed from its definition (multiplicative
inverse in GF(2^8), then the affine map) rather than typed in; the tests check
the cipher against FIPS-197's own examples.

Not constant time: it serves the emulated SIM and the local cloud, never a
device's real key on hostile hardware.
"""

from __future__ import annotations

BLOCK_SIZE = 16


def _xtime(value: int) -> int:
    """Multiply by x (that is, 2) in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1."""
    value <<= 1
    return (value ^ 0x11B) if value & 0x100 else value


def _make_sbox() -> bytes:
    # 3 generates GF(2^8)*: walk its powers for a log table, invert by exponent
    exp = [0] * 255
    log = [0] * 256
    power = 1
    for i in range(255):
        exp[i] = power
        log[power] = i
        power ^= _xtime(power)
    inverse = [0] + [exp[(255 - log[a]) % 255] for a in range(1, 256)]
    sbox = bytearray(256)
    for i in range(256):
        x = inverse[i]
        y = x
        for _ in range(4):  # x ^ rotl(x,1) ^ rotl(x,2) ^ rotl(x,3) ^ rotl(x,4) ^ 0x63
            x = ((x << 1) | (x >> 7)) & 0xFF
            y ^= x
        sbox[i] = y ^ 0x63
    return bytes(sbox)


SBOX = _make_sbox()
_MUL2 = bytes(_xtime(i) for i in range(256))
_MUL3 = bytes(_xtime(i) ^ i for i in range(256))


def expand_key(key: bytes) -> list[bytes]:
    """The 11 round keys of AES-128, 16 bytes each.

    :raises ValueError: the key is not 16 bytes
    """
    if len(key) != BLOCK_SIZE:
        raise ValueError(f"an AES-128 key is 16 bytes, got {len(key)}")
    words = [bytes(key[i : i + 4]) for i in range(0, 16, 4)]
    rcon = 1
    for i in range(4, 44):
        temp = words[i - 1]
        if i % 4 == 0:
            temp = bytes((SBOX[temp[1]] ^ rcon, SBOX[temp[2]], SBOX[temp[3]], SBOX[temp[0]]))
            rcon = _xtime(rcon)
        words.append(bytes(a ^ b for a, b in zip(words[i - 4], temp)))
    return [b"".join(words[r * 4 : r * 4 + 4]) for r in range(11)]


def _mix_columns(state: list[int]) -> list[int]:
    out = [0] * 16
    for c in range(0, 16, 4):
        a0, a1, a2, a3 = state[c], state[c + 1], state[c + 2], state[c + 3]
        out[c] = _MUL2[a0] ^ _MUL3[a1] ^ a2 ^ a3
        out[c + 1] = a0 ^ _MUL2[a1] ^ _MUL3[a2] ^ a3
        out[c + 2] = a0 ^ a1 ^ _MUL2[a2] ^ _MUL3[a3]
        out[c + 3] = _MUL3[a0] ^ a1 ^ a2 ^ _MUL2[a3]
    return out


#: ShiftRows as a permutation of the column-major state: row r moves left by r.
_SHIFT = [(i + 4 * (i % 4)) % 16 for i in range(16)]


def encrypt_block(key: bytes, block: bytes, round_keys: list[bytes] | None = None) -> bytes:
    """Encrypt one 16-byte block with a 16-byte key.

    :param round_keys: :func:`expand_key` of ``key``, when the caller reuses them
    :raises ValueError: key or block not 16 bytes
    """
    if len(block) != BLOCK_SIZE:
        raise ValueError(f"an AES block is 16 bytes, got {len(block)}")
    keys = round_keys if round_keys is not None else expand_key(key)
    state = [b ^ k for b, k in zip(block, keys[0])]
    for rnd in range(1, 11):
        state = [SBOX[state[_SHIFT[i]]] for i in range(16)]
        if rnd != 10:
            state = _mix_columns(state)
        state = [s ^ k for s, k in zip(state, keys[rnd])]
    return bytes(state)
