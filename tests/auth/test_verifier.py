"""The local cloud's AuthVerifier with its clocks passed in: windows, replays, nonces."""

from __future__ import annotations

import pytest

from hologram_sdk.emulator.cloud.auth import AuthDevice, AuthRefused, AuthVerifier
from hologram_sdk.wire.auth import compact, milenage, otp, simotp
from tests.auth.support import ICCID, IMSI, KI, OPC

NOW = 1_800_000_015  # 15 s into a 30-second step
TOTP = AuthDevice("t", "totp", ICCID, IMSI)
SIM_ICCID = "8910010123456789016"
SIM = AuthDevice("s", "sim-otp", SIM_ICCID, IMSI, bytes.fromhex(KI), bytes.fromhex(OPC))


def _totp(timestamp: int) -> compact.CompactRequest:
    body = compact.encode(
        compact.totp_auth(ICCID, timestamp, otp.totp(IMSI.encode(), timestamp)), "x"
    )
    return compact.decode(body)


@pytest.mark.parametrize(
    ("window", "steps_off", "accepted"),
    [
        (1, 0, True),
        (1, 1, True),
        (1, -1, True),
        (1, 2, False),
        (1, -2, False),
        (0, 1, False),
        (2, 2, True),
        (2, 3, False),
    ],
)
def test_totp_window(window, steps_off, accepted):
    verifier = AuthVerifier([TOTP], window=window, clock=lambda: NOW)
    request = _totp(NOW + 30 * steps_off)
    if accepted:
        assert verifier.verify(request) is TOTP
    else:
        with pytest.raises(AuthRefused, match="steps off"):
            verifier.verify(request)


def test_totp_replay_and_memory_stays_bounded():
    now = [NOW]
    verifier = AuthVerifier([TOTP], clock=lambda: now[0])
    verifier.verify(_totp(NOW))
    with pytest.raises(AuthRefused, match="replayed"):
        verifier.verify(_totp(NOW))
    verifier.verify(_totp(NOW + 1))  # a new timestamp in the same step is a new request
    for i in range(1, 200):
        now[0] = NOW + 10 * i
        verifier.verify(_totp(now[0]))
    assert len(verifier._seen[ICCID]) <= 64 + 10  # pruned to the window once over 64


def test_simotp_nonce_expiry_and_single_use():
    mono = [100.0]
    verifier = AuthVerifier(
        [SIM],
        clock=lambda: NOW,
        monotonic=lambda: mono[0],
        random=lambda n: bytes(range(n)),
        nonce_ttl=5,
    )
    ticket = verifier.issue_nonce()
    assert ticket.nonce == bytes(range(16)) and "nonce" not in repr(ticket).replace(
        "NonceTicket", ""
    )
    rand = simotp.derive_rand(IMSI, SIM_ICCID, ticket.nonce, NOW)
    sres, kc = milenage.Milenage(bytes.fromhex(KI), opc=bytes.fromhex(OPC)).gsm(rand)
    request = compact.decode(
        compact.encode(compact.simotp_auth(SIM_ICCID, NOW, simotp.token(sres, kc, NOW)), "x")
    )
    assert verifier.verify(request, ticket) is SIM
    with pytest.raises(AuthRefused, match="no nonce"):
        verifier.verify(request, None)
    mono[0] += 6
    with pytest.raises(AuthRefused, match="expired"):
        verifier.verify(request, ticket)


def test_a_device_of_another_method_is_refused():
    verifier = AuthVerifier([SIM], clock=lambda: NOW)
    body = compact.encode(compact.totp_auth(SIM_ICCID, NOW, otp.totp(IMSI.encode(), NOW)), "x")
    with pytest.raises(AuthRefused, match="sim-otp device"):
        verifier.verify(compact.decode(body))
    assert "465b" not in repr(SIM) and IMSI not in repr(SIM)
