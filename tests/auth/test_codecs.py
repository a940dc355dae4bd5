"""The pure auth codecs against published test vectors (FIPS-197, RFC 4226/6238,
3GPP TS 35.207/35.208 and TS 55.205) and the 0.10 wire formats."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from hologram_sdk.wire.auth import aes, compact, milenage, otp, simotp

H = bytes.fromhex


# --- AES-128 (FIPS-197) -------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "plain", "cipher"),
    [
        # FIPS-197 Appendix C.1 (AES-128)
        (
            "000102030405060708090a0b0c0d0e0f",
            "00112233445566778899aabbccddeeff",
            "69c4e0d86a7b0430d8cdb78070b4c55a",
        ),
        # FIPS-197 Appendix B (the worked cipher example)
        (
            "2b7e151628aed2a6abf7158809cf4f3c",
            "3243f6a8885a308d313198a2e0370734",
            "3925841d02dc09fbdc118597196a0b32",
        ),
    ],
)
def test_aes128_matches_fips197(key: str, plain: str, cipher: str) -> None:
    assert aes.encrypt_block(H(key), H(plain)).hex() == cipher


def test_aes_key_expansion_matches_fips197_appendix_a1() -> None:
    keys = aes.expand_key(H("2b7e151628aed2a6abf7158809cf4f3c"))
    assert keys[1].hex() == "a0fafe1788542cb123a339392a6c7605"
    assert keys[10].hex() == "d014f9a8c9ee2589e13f0cc8b6630ca6"


def test_aes_sbox_is_the_published_one() -> None:
    assert aes.SBOX[:8].hex() == "637c777bf26b6fc5"
    assert aes.SBOX[0x53] == 0xED and aes.SBOX[0xFF] == 0x16


def test_aes_refuses_wrong_sizes() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        aes.encrypt_block(bytes(15), bytes(16))
    with pytest.raises(ValueError, match="16 bytes"):
        aes.encrypt_block(bytes(16), bytes(17))


# --- HOTP / TOTP (RFC 4226 Appendix D, RFC 6238 Appendix B) --------------------

RFC4226_SECRET = b"12345678901234567890"
RFC4226_VALUES = [755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489]


@pytest.mark.parametrize(("counter", "value"), list(enumerate(RFC4226_VALUES)))
def test_hotp_matches_rfc4226(counter: int, value: int) -> None:
    assert otp.hotp(RFC4226_SECRET, counter) == value


@pytest.mark.parametrize(
    ("timestamp", "value"),
    [
        (59, 94287082),
        (1111111109, 7081804),
        (1111111111, 14050471),
        (1234567890, 89005924),
        (2000000000, 69279037),
        (20000000000, 65353130),
    ],
)
def test_totp_sha1_matches_rfc6238(timestamp: int, value: int) -> None:
    assert otp.totp(RFC4226_SECRET, timestamp, step=30, digits=8) == value


def test_totp_is_the_hologram_form_six_digits_over_30_s() -> None:
    key = b"310170123456789"  # an IMSI as the key
    assert otp.totp(key, 1_700_000_029) == otp.totp(key, 1_700_000_010)  # same step
    assert otp.time_step(1_700_000_029) == 1_700_000_029 // 30
    assert 0 <= otp.totp(key, 1_700_000_000) < 10**6
    digest = hmac.new(key, (1_700_000_000 // 30).to_bytes(8, "big"), hashlib.sha1).digest()
    offset = digest[19] & 15
    expected = (int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF) % 10**6
    assert otp.totp(key, 1_700_000_000) == expected


def test_hotp_refuses_bad_arguments() -> None:
    with pytest.raises(ValueError):
        otp.hotp(b"k", -1)
    with pytest.raises(ValueError):
        otp.hotp(b"k", 0, digits=10)
    with pytest.raises(ValueError):
        otp.time_step(10, step=0)


# --- MILENAGE (3GPP TS 35.208 §4.3, conformance TS 35.207) ----------------------
# Each set was read from two independent public copies of the document's
# tables (hostapd's tests/test-milenage.c and others); test set 1's inputs are
# also in shared/reference/modem-facts.md §14.4.

MILENAGE_SETS = [
    pytest.param(
        dict(
            k="465b5ce8b199b49faa5f0a2ee238a6bc",
            rand="23553cbe9637a89d218ae64dae47bf35",
            sqn="ff9bb4d0b607",
            amf="b9b9",
            op="cdc202d5123e20f62b6d676ac72cb318",
            opc="cd63cb71954a9f4e48a5994e37a02baf",
            f1="4a9ffac354dfafb3",
            f1s="01cfaf9ec4e871e9",
            f2="a54211d5e3ba50bf",
            f3="b40ba9a3c58b2a05bbf0d987b21bf8cb",
            f4="f769bcd751044604127672711c6d3441",
            f5="aa689c648370",
            f5s="451e8beca43b",
        ),
        id="test set 1",
    ),
    pytest.param(
        dict(
            k="0396eb317b6d1c36f19c1c84cd6ffd16",
            rand="c00d603103dcee52c4478119494202e8",
            sqn="fd8eef40df7d",
            amf="af17",
            op="ff53bade17df5d4e793073ce9d7579fa",
            opc="53c15671c60a4b731c55b4a441c0bde2",
            f1="5df5b31807e258b0",
            f1s="a8c016e51ef4a343",
            f2="d3a628ed988620f0",
            f3="58c433ff7a7082acd424220f2b67c556",
            f4="21a8c1f929702adb3e738488b9f5c5da",
            f5="c47783995f72",
            f5s="30f1197061c1",
        ),
        id="test set 2",
    ),
    pytest.param(
        dict(
            k="fec86ba6eb707ed08905757b1bb44b8f",
            rand="9f7c8d021accf4db213ccff0c7f71a6a",
            sqn="9d0277595ffc",
            amf="725c",
            op="dbc59adcb6f9a0ef735477b7fadf8374",
            opc="1006020f0a478bf6b699f15c062e42b3",
            f1="9cabc3e99baf7281",
            f1s="95814ba2b3044324",
            f2="8011c48c0c214ed2",
            f3="5dbdbb2954e8f3cde665b046179a5098",
            f4="59a92d3b476a0443487055cf88b2307b",
            f5="33484dc2136b",
            f5s="deacdd848cc6",
        ),
        id="test set 3",
    ),
    pytest.param(
        dict(
            k="9e5944aea94b81165c82fbf9f32db751",
            rand="ce83dbc54ac0274a157c17f80d017bd6",
            sqn="0b604a81eca8",
            amf="9e09",
            op="223014c5806694c007ca1eeef57f004f",
            opc="a64a507ae1a2a98bb88eb4210135dc87",
            f1="74a58220cba84c49",
            f1s="ac2cc74a96871837",
            f2="f365cd683cd92e96",
            f3="e203edb3971574f5a94b0d61b816345d",
            f4="0c4524adeac041c4dd830d20854fc46b",
            f5="f0b9c08ad02e",
            f5s="6085a86c6f63",
        ),
        id="test set 4",
    ),
]


@pytest.mark.parametrize("ts", MILENAGE_SETS)
def test_milenage_matches_3gpp_test_sets(ts: dict[str, str]) -> None:
    assert milenage.opc_from_op(H(ts["k"]), H(ts["op"])).hex() == ts["opc"]
    for engine in (
        milenage.Milenage(H(ts["k"]), opc=H(ts["opc"])),
        milenage.Milenage(H(ts["k"]), op=H(ts["op"])),
    ):
        v = engine.vectors(H(ts["rand"]), H(ts["sqn"]), H(ts["amf"]))
        assert v.mac_a.hex() == ts["f1"]
        assert v.mac_s.hex() == ts["f1s"]
        assert v.res.hex() == ts["f2"]
        assert v.ck.hex() == ts["f3"]
        assert v.ik.hex() == ts["f4"]
        assert v.ak.hex() == ts["f5"]
        assert v.ak_s.hex() == ts["f5s"]


# TS 55.205 (GSM-MILENAGE) test sets 1-3: SRES = c2(RES) ("SRES#1"), Kc = c3(CK, IK)
@pytest.mark.parametrize(
    ("k", "rand", "opc", "sres", "kc"),
    [
        (
            "465b5ce8b199b49faa5f0a2ee238a6bc",
            "23553cbe9637a89d218ae64dae47bf35",
            "cd63cb71954a9f4e48a5994e37a02baf",
            "46f8416a",
            "eae4be823af9a08b",
        ),
        (
            "fec86ba6eb707ed08905757b1bb44b8f",
            "9f7c8d021accf4db213ccff0c7f71a6a",
            "1006020f0a478bf6b699f15c062e42b3",
            "8c308a5e",
            "aa01739b8caa976d",
        ),
        (
            "9e5944aea94b81165c82fbf9f32db751",
            "ce83dbc54ac0274a157c17f80d017bd6",
            "a64a507ae1a2a98bb88eb4210135dc87",
            "cfbce3fe",
            "9a8ec95f408cc507",
        ),
    ],
)
def test_gsm_context_matches_ts_55205(k: str, rand: str, opc: str, sres: str, kc: str) -> None:
    got_sres, got_kc = milenage.Milenage(H(k), opc=H(opc)).gsm(H(rand))
    assert (got_sres.hex(), got_kc.hex()) == (sres, kc)


def test_c2_and_c3_are_the_ts_33102_conversions() -> None:
    assert milenage.c2(H("a54211d5e3ba50bf")).hex() == "46f8416a"
    ck, ik = H("b40ba9a3c58b2a05bbf0d987b21bf8cb"), H("f769bcd751044604127672711c6d3441")
    assert milenage.c3(ck, ik).hex() == "eae4be823af9a08b"
    assert milenage.c2(H("01020304")) == H("01020304")  # a 4-byte RES is its own SRES


def test_milenage_keeps_its_keys_out_of_repr() -> None:
    engine = milenage.Milenage(H("465b5ce8b199b49faa5f0a2ee238a6bc"), opc=bytes(16))
    assert "465b" not in repr(engine) and "masked" in repr(engine)
    assert "a542" not in repr(engine.vectors(bytes(16)))
    with pytest.raises(ValueError, match="exactly one"):
        milenage.Milenage(bytes(16))
    with pytest.raises(ValueError, match="16 bytes"):
        milenage.Milenage(bytes(8), opc=bytes(16))


# --- SIM-OTP ----------------------------------------------------------------------

IMSI, ICCID = "310170123456789", "8901260123456789012"


def test_rand_is_the_folded_hmac_of_the_timestamp() -> None:
    nonce = H("00112233445566778899aabbccddeeff")
    material = ((IMSI + ICCID) * 6).encode()
    key = bytes(a ^ b for a, b in zip(material, nonce))
    assert len(key) == len(nonce)  # as long as the shorter of the two
    digest = hmac.new(key, b"1700000000", hashlib.sha256).digest()
    expected = bytes(a ^ b for a, b in zip(digest[:16], digest[16:]))
    assert simotp.derive_rand(IMSI, ICCID, nonce, 1700000000) == expected
    assert simotp.derive_rand(IMSI, ICCID, nonce, "1700000000") == expected
    assert simotp.derive_rand(IMSI, ICCID, nonce, 1700000001) != expected
    with pytest.raises(ValueError):
        simotp.derive_rand(IMSI, ICCID, b"", 1)


def test_token_clears_the_low_bits_of_kc() -> None:
    sres, kc = H("46f8416a"), H("eae4be823af9a08b")
    cleared = kc[:-1] + bytes((0x88,))
    key = ((sres + cleared) * 3)[:32]
    expected = hmac.new(key, b"1700000000", hashlib.sha256).hexdigest()
    assert simotp.token(sres, kc, 1700000000) == expected
    assert simotp.token(sres, kc[:-1] + b"\x8a", 1700000000) == expected  # low bits ignored
    assert len(expected) == 64 and expected == expected.lower()


def test_authenticate_apdu_round_trip() -> None:
    rand = H("23553cbe9637a89d218ae64dae47bf35")
    apdu = simotp.authenticate_apdu(rand)
    assert apdu == "00880080111023553CBE9637A89D218AE64DAE47BF3500"
    assert len(apdu) == 46  # AT+CSIM=46,"..."
    assert simotp.rand_from_apdu(apdu) == rand
    answer = simotp.authenticate_response(H("46f8416a"), H("eae4be823af9a08b"))
    assert answer == "0446F8416A08EAE4BE823AF9A08B9000"
    data, status = simotp.split_status(answer)
    assert status == "9000"
    assert simotp.parse_authenticate_data(data) == (H("46f8416a"), H("eae4be823af9a08b"))
    with pytest.raises(ValueError):
        simotp.rand_from_apdu("00A4000C023F00")
    with pytest.raises(ValueError):
        simotp.split_status("9")
    with pytest.raises(ValueError):
        simotp.parse_authenticate_data("0102")


# --- compact format ---------------------------------------------------------------


def test_totp_request_is_byte_for_byte_the_010_format() -> None:
    auth = compact.totp_auth(ICCID, 1700000000, 42)
    assert auth == f"C{ICCID} 1700000000 42 "
    body = compact.encode(auth, "hello", ["a", "b"], "\x01agnostic-1.0")
    assert body == (
        f"C{ICCID} 1700000000 42 ".encode() + b"M\x01agnostic-1.0\x00Ta\x00Tb\x00Bhello\x00\x00"
    )
    assert compact.request_complete(body)
    assert not compact.request_complete(body[:-1])
    assert compact.request_complete(body + b"\r\r")
    request = compact.decode(body)
    assert (request.method, request.device_id, request.timestamp) == ("totp", ICCID, 1700000000)
    assert request.credential == "42" and request.data == "hello"
    assert request.topics == ["a", "b"] and request.metadata == "\x01agnostic-1.0"
    assert request.kind == "message"
    assert "42" not in repr(request).replace("1700000000", "")


def test_simotp_request_and_the_sms_extension() -> None:
    token = "ab" * 32
    body = compact.encode(
        compact.simotp_auth(ICCID, 1700000000, token), "hi", destination="+15551234567"
    )
    assert body.startswith(f"H{ICCID} 1700000000 {token} ".encode())
    request = compact.decode(body)
    assert request.method == "sim-otp" and request.credential == token
    assert request.kind == "sms" and request.destination == "+15551234567"
    assert compact.request_complete(compact.NONCE_REQUEST)
    assert compact.is_compact(b"N") and compact.is_compact(body) and not compact.is_compact(b"{")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"X123 1 2 Bhi\x00\x00", 3),
        (b"C123 1700000000 42 Bhi\x00", 2),
        (b"C123 1700000000 42 T\x00Bhi\x00\x00", 8),
        (b"C123 1700000000 42 Mnot\x00Bhi\x00\x00", 7),
        (b"C123 1700000000 42 Zx\x00Bhi\x00\x00", 4),
        (b"C123 1700000000 42 Ta\x00\x00", 2),
        (b"C123 1700000000 42 B\xff\x00\x00", 2),
    ],
)
def test_compact_refusals_carry_the_cloud_codes(body: bytes, code: int) -> None:
    with pytest.raises(compact.CompactError) as info:
        compact.decode(body)
    assert info.value.code == code


def test_a_nul_in_a_field_is_refused_before_sending() -> None:
    with pytest.raises(ValueError, match="NUL"):
        compact.payload("a\x00b")
