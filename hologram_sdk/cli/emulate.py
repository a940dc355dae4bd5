"""``hologram emulate modem``: run an emulated modem on a pty in the foreground."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from types import FrameType
from typing import Any, Optional

from hologram_sdk.base.errors import ConfigurationError
from hologram_sdk.emulator.modem import (
    PROFILES,
    RATS,
    REGISTRATION_STATES,
    SIM_STATES,
    ModemEmulator,
)


def register(subparsers: Any) -> None:
    """Add ``emulate`` and its ``modem`` sub-subcommand to the ``hologram`` parser."""
    parser = subparsers.add_parser(
        "emulate", help="run a local stand-in (modem emulator on a pty)"
    )
    kinds = parser.add_subparsers(dest="emulated", metavar="WHAT")
    kinds.required = True
    modem = kinds.add_parser(
        "modem",
        help="an AT modem on a pseudo-terminal; prints its device path",
        description="Run an emulated modem (Huawei E303/MS2131/E372, u-blox SARA-U201/R410/R404, "
        "Quectel BG96/EC21/EC25) on a pty until Ctrl-C or SIGTERM. "
        "The first line on stdout is the device path.",
    )
    modem.add_argument("--profile", choices=sorted(PROFILES), default="e303")
    modem.add_argument(
        "--link", metavar="PATH", help="also create a symlink here (removed at exit)"
    )
    modem.add_argument("--sim", choices=list(SIM_STATES), default="ready")
    modem.add_argument("--pin", default="1234", help="the PIN AT+CPIN accepts (default 1234)")
    modem.add_argument("--rssi", type=int, default=20, help="0-31, or 99 for unknown")
    modem.add_argument(
        "--registration",
        default="home",
        help=f"one of: {', '.join(REGISTRATION_STATES)}",
    )
    modem.add_argument(
        "--rat",
        choices=list(RATS),
        default=None,
        help="the radio it registers on (default: the profile's first): utran (3G, "
        "+CREG/+CGREG), lte (+CEREG; LTE-M modems in the EPS domain only), nbiot (+CEREG, AcT 9)",
    )
    modem.add_argument(
        "--location",
        default=None,
        metavar="LAT,LON[,ALT]",
        help="the position fix +ULOC/+QGPSLOC report, or 'none' for no fix",
    )
    modem.add_argument("--operator", default="Test Network")
    modem.add_argument("--imei")
    modem.add_argument("--iccid")
    modem.add_argument("--imsi")
    modem.add_argument(
        "--ki",
        help="the USIM's key K, 32 hex digits: AT+CSIM AUTHENTICATE answers with MILENAGE "
        "(SIM-OTP); default: 3GPP TS 35.208 test set 1's",
    )
    modem.add_argument("--opc", help="the USIM's OPc, 32 hex digits (with --ki)")
    modem.add_argument(
        "--host",
        action="append",
        default=[],
        metavar="NAME=IP",
        help="let the socket commands reach NAME at IP (127.0.0.1 or ::1); repeatable",
    )
    modem.set_defaults(func=run_modem)


def _options(args: argparse.Namespace) -> dict[str, Any]:
    hosts = {}
    for item in args.host:
        name, sep, ip = item.partition("=")
        if not sep:
            raise ConfigurationError(f"--host wants NAME=IP, not {item!r}")
        hosts[name] = ip
    options: dict[str, Any] = {
        "sim": args.sim,
        "pin": args.pin,
        "rssi": args.rssi,
        "registration": args.registration,
        "rat": args.rat,
        "operator": args.operator,
        "hosts": hosts,
    }
    if args.location is not None:
        options["location"] = args.location
    for name in ("imei", "iccid", "imsi", "ki", "opc"):
        if getattr(args, name, None):
            options[name] = getattr(args, name)
    return options


def run_modem(args: argparse.Namespace) -> int:
    """Serve one emulated modem until SIGINT or SIGTERM; returns the exit status."""
    try:
        emulator = ModemEmulator(args.profile, **_options(args))
    except ConfigurationError as exc:
        print(f"hologram emulate modem: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def on_signal(signum: int, frame: Optional[FrameType]) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    link: Optional[str] = None
    try:
        with emulator:
            device = emulator.start()
            if args.link:
                try:
                    os.symlink(device, args.link)
                except OSError as exc:
                    print(f"hologram emulate modem: cannot link: {exc}", file=sys.stderr)
                    return 1
                link = args.link
            print(device, flush=True)
            print(
                f"{args.profile} modem emulator on {device}"
                + (f" (link {link})" if link else "")
                + "; Ctrl-C to stop",
                file=sys.stderr,
                flush=True,
            )
            stop.wait()
    finally:
        if link is not None:
            try:
                os.unlink(link)
            except FileNotFoundError:
                pass
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
