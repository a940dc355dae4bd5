"""``hologram modem``: identity, signal, SIM, operator, SMS and raw AT on a modem's port."""

from __future__ import annotations

import argparse
import json
import sys
import urllib.parse
from typing import Any, Optional

from hologram_sdk.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, add_verbose, timeout_value

ACTIONS = ("info", "signal", "sim", "operator", "sms-send", "sms-list", "command")

#: what to do about each typed error, for the one-line message
HINTS = {
    "SIMNotInsertedError": "SIM not inserted (CME 10): insert a SIM",
    "SIMPinRequiredError": 'SIM PIN required (CME 11): unlock it with AT+CPIN="<pin>"',
    "SIMPukRequiredError": "SIM PUK required (CME 12): the SIM is blocked; use its PUK",
    "SIMFailureError": "SIM failure (CME 13): reseat or replace the SIM",
    "SIMBusyError": "SIM busy (CME 14): the SIM is still starting; try again in a few seconds",
    "NoNetworkServiceError": "no network service (CME 30): check the antenna and coverage",
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "modem",
        help="talk to the modem: info, signal, SIM, operator, SMS, raw AT",
        description="Query a cellular modem over its AT port. --port takes a device path or "
        "any serial URL (sim://e303 for the built-in emulator); without --port the modem "
        "is found on USB.",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--port", help="device path or URL (e.g. /dev/ttyUSB0, sim://iota)")
    where.add_argument("--profile", help="modem profile: e303, ms2131 or iota (default port)")
    parser.add_argument("--baud", default="9600", help="serial speed (default 9600)")
    parser.add_argument(
        "--timeout", type=timeout_value, default=5.0, help="seconds per AT command (default 5)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    add_verbose(parser, subcommand=True)
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    for name, text in (
        ("info", "manufacturer, model, revision, IMEI, IMSI, ICCID"),
        ("signal", "signal quality (rssi, ber, dBm)"),
        ("sim", "SIM state"),
        ("operator", "network operator and registration"),
        ("sms-list", "stored SMS"),
    ):
        sub = actions.add_parser(name, help=text)
        sub.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    send = actions.add_parser("sms-send", help="send an SMS through the modem")
    send.add_argument("number", help="E.164 destination, e.g. +15555550100")
    send.add_argument("text", help="the message (160 GSM or 70 UCS-2 characters)")
    send.add_argument("--pdu", action="store_true", help="use PDU mode")
    send.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    raw = actions.add_parser("command", help='send one raw AT command, e.g. "AT+CSQ"')
    raw.add_argument("at", metavar="AT", help="the command line")
    raw.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    parser.set_defaults(func=run, prog=parser.prog)


def describe_error(exc: BaseException) -> str:
    """One line for a typed SDK error."""
    hint = HINTS.get(type(exc).__name__)
    if hint:
        return hint
    return str(exc) or type(exc).__name__


def _open_modem(args: argparse.Namespace) -> Any:
    from hologram_sdk.base.errors import SerialError
    from hologram_sdk.modem.modem import Modem
    from hologram_sdk.modem.profiles import GENERIC_PROFILE
    from hologram_sdk.modem.registry import get_driver, get_profile
    profile_name: Optional[str] = args.profile
    port: Optional[str] = args.port
    if port and port.startswith("sim://"):
        profile_name = urllib.parse.urlsplit(port).netloc or None
    if port is None and profile_name is None:
        from hologram_sdk.modem.discovery import find_at_port

        found = find_at_port()
        if found is None:
            raise SerialError("no known modem answers AT on USB; give --port")
        port, profile_name = found.device, found.profile
    cls: Any = Modem
    if profile_name:
        profile = get_profile(profile_name)
        if profile.name != GENERIC_PROFILE.name:
            cls = get_driver(profile.name).load()
        if port is None:
            port = profile.default_device
    return cls("ppp", port, args.baud, timeout=args.timeout)


def _collect(modem: Any, args: argparse.Namespace) -> dict[str, Any]:
    from hologram_sdk.base.errors import ATCommandError

    action = args.action
    if action == "info":
        info: dict[str, Any] = {}
        for name in ("manufacturer", "model", "revision", "imei"):
            info[name] = getattr(modem, name)
        info["sim"] = modem.sim_state.value
        for name in ("imsi", "iccid"):
            try:
                info[name] = getattr(modem, name)
            except ATCommandError as exc:
                info[name] = None
                info.setdefault("errors", {})[name] = describe_error(exc)
        return info
    if action == "signal":
        signal = modem.signal
        return {
            "rssi": signal.rssi,
            "ber": signal.ber,
            "dbm": signal.dbm,
            "percent": signal.percent,
            "bars": signal.bars,
        }
    if action == "sim":
        return {"sim": modem.sim_state.value}
    if action == "operator":
        return {"operator": modem.operator, "registration": modem.registration.value}
    if action == "sms-send":
        reference = modem.send_sms(args.number, args.text, mode="pdu" if args.pdu else "text")
        return {"sent": True, "reference": reference, "number": args.number}
    if action == "sms-list":
        return {
            "messages": [
                {
                    "index": m.index,
                    "sender": m.sender,
                    "text": m.text,
                    "status": m.status,
                    "timestamp": m.timestamp.isoformat() if m.timestamp else None,
                }
                for m in modem.list_sms("all")
            ]
        }
    return {"command": args.at, "lines": modem.command(args.at)}


def _human(action: str, result: dict[str, Any]) -> str:
    if action == "signal":
        dbm = "unknown" if result["dbm"] is None else f"{result['dbm']} dBm"
        return f"rssi {result['rssi']} ber {result['ber']} ({dbm}, {result['bars']}/5 bars)"
    if action == "sms-send":
        return f"sent to {result['number']} (reference {result['reference']})"
    if action == "sms-list":
        if not result["messages"]:
            return "no messages"
        return "\n".join(
            f"[{m['index']}] {m['status']} from {m['sender']} at {m['timestamp']}: {m['text']}"
            for m in result["messages"]
        )
    if action == "command":
        return "\n".join([*result["lines"], "OK"])
    lines = []
    for key, value in result.items():
        if key == "errors":
            continue
        shown = value if value is not None else "-"
        note = result.get("errors", {}).get(key)
        lines.append(f"{key}: {shown}" + (f" ({note})" if note else ""))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Run one modem action; returns the exit status."""
    from hologram_sdk.base.errors import ConfigurationError, HologramError

    prog = getattr(args, "prog", "hologram modem")
    try:
        modem = _open_modem(args)
    except ConfigurationError as exc:
        print(f"{prog}: {describe_error(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except HologramError as exc:
        print(f"{prog}: {describe_error(exc)}", file=sys.stderr)
        return EXIT_FAILED
    try:
        with modem:
            result = _collect(modem, args)
    except ConfigurationError as exc:
        print(f"{prog}: {describe_error(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except HologramError as exc:
        print(f"{prog}: {describe_error(exc)}", file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        print(json.dumps(result, sort_keys=True))
    else:
        print(_human(args.action, result))
    return EXIT_OK
