"""The attributes and methods the parts of ModemEmulator share, declared for the type checker."""

from __future__ import annotations

import collections
import selectors
import socket
import threading
from typing import TYPE_CHECKING, Any, Optional

from hologram_sdk.emulator.atargs import _Fail
from hologram_sdk.emulator.profiles import Profile
from hologram_sdk.emulator.records import Faults, SentSms, _Stored, _USocket


class EmulatorState:
    """Base of the ModemEmulator mixins: annotations only, no values.

    ``ModemEmulator.__init__`` sets every attribute; each mixin adds methods.
    The methods one mixin calls on another are declared here (for the type
    checker only) so that no mixin module imports another's or ``modem.py``.
    """

    # configuration
    profile: Profile
    rat: str
    imei: str
    iccid: str
    imsi: str
    pin: str
    puk: str
    hosts: dict[str, str]
    faults: Faults
    escape_guard: float
    operator: str
    operator_numeric: str
    smsc: str

    # radio and SIM
    _lock: threading.RLock
    _cfun: int
    _curc: bool
    _sim: str
    _rssi: int
    _ber: int
    _registration: int
    _pin_attempts: int

    # command-line and data state
    _mode: str
    _call_up: bool
    _line: bytearray
    _prev_cr: bool
    _last_line: str
    _pending_urcs: list[str]
    _after: list[str]
    _executing: bool
    data_received: bytearray
    _esc_count: int
    _esc_deadline: Optional[float]
    _last_data_rx: float
    _entry: bytearray
    _entry_ctx: dict[str, Any]

    # settings
    _echo: bool
    _verbose: bool
    _quiet: bool
    _x: int
    _cmee: int
    _creg_n: int
    _cgreg_n: int
    _cereg_n: int
    _cops_format: int
    _cops_mode: int
    _cmgf: int
    _cscs: str
    _cpms: list[str]
    _cnmi: list[int]
    _csmp: list[int]
    _csdh: int
    _mr: int
    _store: dict[int, _Stored]
    _contexts: dict[int, tuple[str, str]]
    _sregs: dict[int, int]
    _udconf_hex: int
    _psd: dict[int, str]
    _psd_active: bool
    _socks: dict[int, _USocket]
    _usoer: int
    _sent: list[SentSms]
    _log: list[str]

    # transport
    _sel: selectors.BaseSelector
    _outq: collections.deque[tuple[float, bytes]]
    _last_due: float
    _link_fd: Optional[int]
    _link_is_socket: bool
    _link_sock: Optional[socket.socket]
    _write_blocked: bool
    _slave_fd: Optional[int]
    _device: Optional[str]
    _thread: Optional[threading.Thread]
    _wake_r: Optional[int]
    _wake_w: Optional[int]
    _stopping: bool
    _closed: bool
    _unplugged: bool
    _unplug_done: threading.Event

    if TYPE_CHECKING:
        # ModemEmulator
        def unplug(self) -> None: ...
        def _run(self, name: str, op: str, args: str) -> list[str]: ...
        def _need_sim(self, kind: str) -> None: ...

        # Transport
        def _send(self, data: bytes, delay: float = 0.0) -> None: ...

        # CommandLine
        def _reset_settings(self) -> None: ...
        def _info_bytes(self, lines: list[str]) -> bytes: ...
        def _final_bytes(self, result: str) -> bytes: ...
        def _error_text(self, failure: _Fail) -> str: ...
        def _urc(self, text: str) -> None: ...
        def _flush_urcs(self) -> None: ...
        def _te(self, text: str) -> str: ...
        def _receive(self, data: bytes) -> None: ...
        def _enter_data(self) -> None: ...
        def _tick(self) -> None: ...

        # NetworkCommands
        def _stat(self) -> int: ...

        # SmsCommands
        def _sms_byte(self, byte: int) -> None: ...

        # UbloxCommands
        def _binary_byte(self, byte: int) -> None: ...
        def _close_sockets(self) -> None: ...
        def _accept(self, lsid: int) -> None: ...
        def _socket_readable(self, sid: int) -> None: ...
