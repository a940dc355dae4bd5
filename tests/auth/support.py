"""Helpers of the auth tests: a devices file, a modem on the emulator's pty, raw requests."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
from collections.abc import Iterator
from typing import Any

from hologram_sdk.emulator.modem import ModemEmulator
from hologram_sdk.modem.e303 import E303

ICCID = "8910010123456789015"
IMSI = "001010123456789"
# 3GPP TS 35.208 test set 1 (the emulated SIM's default is not a published key)
KI = "465b5ce8b199b49faa5f0a2ee238a6bc"
OPC = "cd63cb71954a9f4e48a5994e37a02baf"


def devices_file(tmp_path, entries: list[dict[str, Any]]):
    path = tmp_path / "devices.hjson"
    path.write_text(json.dumps({"devices": entries}))
    return path


@contextlib.contextmanager
def emulated(**kwargs: Any) -> Iterator[tuple[ModemEmulator, E303]]:
    """A started modem emulator and an E303 driver on its pty (both closed after)."""
    with ModemEmulator("e303", iccid=ICCID, imsi=IMSI, **kwargs) as emu:
        with E303(deviceName=emu.start()) as modem:
            yield emu, modem


@contextlib.contextmanager
def emulated_modem(**kwargs: Any) -> Iterator[E303]:
    """An E303 driver on a started modem emulator's pty (both closed after)."""
    with emulated(**kwargs) as (_emu, modem):
        yield modem


def raw_request(port: int, request: bytes, nonce_first: bool = False, timeout: float = 5.0):
    """Send one compact request on a fresh connection; its reply (and the nonce)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        nonce = b""
        if nonce_first:
            sock.sendall(b"N")
            while len(nonce) < 16:
                chunk = sock.recv(16 - len(nonce))
                assert chunk, "closed before the nonce"
                nonce += chunk
        sock.sendall(request)
        reply = b""
        while True:
            chunk = sock.recv(64)
            if not chunk:
                break
            reply += chunk
    return (reply, nonce) if nonce_first else reply


class KeepAll(logging.Handler):
    """Every log record of every logger, formatted with its exception text."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextlib.contextmanager
def all_logs_at_debug() -> Iterator[KeepAll]:
    """Capture all loggers at DEBUG (levels set on any logger are lowered meanwhile)."""
    keep = KeepAll()
    root = logging.getLogger()
    saved = {
        name: lg.level
        for name, lg in logging.Logger.manager.loggerDict.items()
        if isinstance(lg, logging.Logger)
    }
    saved_root = root.level
    for name in saved:
        logging.getLogger(name).setLevel(logging.NOTSET)
    root.setLevel(logging.DEBUG)
    root.addHandler(keep)
    try:
        yield keep
    finally:
        root.removeHandler(keep)
        root.setLevel(saved_root)
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def assert_no_secret(lines: list[str], data: bytes, secrets: list[str]) -> None:
    """No secret (any case) in any log line or in the bytes (e.g. the database file)."""
    text = "\n".join(lines)
    blob = data.decode("latin-1")
    for secret in secrets:
        for form in {secret, secret.lower(), secret.upper()}:
            assert form not in text, f"a secret appears in the log: {form[:3]}..."
            assert form not in blob, f"a secret appears in the stored bytes: {form[:3]}..."
