"""``hologram modem``: identity, signal, SIM, location, control, SMS and raw AT on a modem.

The modem is ``--port`` (a device or any serial URL, ``sim://bg96`` for the
built-in emulator), ``--profile`` (a registry name: its class on its default
port), or else the first supported modem found on USB. Every model name comes
from the one driver registry (:mod:`hologram_sdk.modem.registry`).

The 0.10 SDK's spellings work: ``connect``, ``disconnect`` (both hand over to
``hologram network``), ``signal --repeat N``, ``operator``, ``sim``, ``type``,
``location``, ``reset``, ``radio-on``, ``radio-off``, ``command AT -t N``,
``version`` and ``imei``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.parse
from typing import Any, Optional

from hologram_sdk.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, add_verbose, timeout_value

ACTIONS = (
    "info",
    "signal",
    "sim",
    "operator",
    "imei",
    "version",
    "type",
    "location",
    "reset",
    "radio-on",
    "radio-off",
    "sms-send",
    "sms-list",
    "command",
    "connect",
    "disconnect",
)

#: what to do about each typed error, for the one-line message
HINTS = {
    "SIMNotInsertedError": "SIM not inserted (CME 10): insert a SIM",
    "SIMPinRequiredError": 'SIM PIN required (CME 11): unlock it with AT+CPIN="<pin>"',
    "SIMPukRequiredError": "SIM PUK required (CME 12): the SIM is blocked; use its PUK",
    "SIMFailureError": "SIM failure (CME 13): reseat or replace the SIM",
    "SIMBusyError": "SIM busy (CME 14): the SIM is still starting; try again in a few seconds",
    "NoNetworkServiceError": "no network service (CME 30): check the antenna and coverage",
}

_SIMPLE = (
    ("info", "manufacturer, model, revision, IMEI, IMSI, ICCID"),
    ("sim", "SIM state and ICCID"),
    ("operator", "network operator and registration"),
    ("imei", "the modem's IMEI"),
    ("version", "firmware version (ATI9 on u-blox, AT+CGMR elsewhere)"),
    ("type", "what the modem is (its driver's description)"),
    ("reset", "restart the modem (AT+CFUN=16 U201, =15 R410, =1,1 Quectel/others)"),
    ("radio-on", "turn the radio on (AT+CFUN=1)"),
    ("radio-off", "turn the radio off (AT+CFUN=0)"),
    ("sms-list", "stored SMS"),
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from hologram_sdk.modem.registry import driver_names

    names = ", ".join(driver_names())
    parser = subparsers.add_parser(
        "modem",
        help="talk to the modem: info, signal, SIM, location, reset, radio, SMS, raw AT",
        description="Query or control a cellular modem over its AT port. --port takes a "
        "device path or any serial URL (sim://bg96 for the built-in emulator); without "
        f"--port or --profile the first supported modem on USB is used ({names}).",
    )
    parser.add_argument("--port", help="device path or URL (e.g. /dev/ttyUSB2, sim://bg96)")
    parser.add_argument("--profile", help=f"modem model ({names}; also u201, r410...): "
                        "talk to it with that model's driver, on --port; without --port "
                        "on the model's default device (e.g. iota: /dev/ttyACM0, e303: "
                        "/dev/ttyUSB0), not on a modem found on USB")
    parser.add_argument("--baud", default="9600", help="serial speed (default 9600)")
    parser.add_argument(
        "--timeout", type=timeout_value, default=5.0, help="seconds per AT command (default 5)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    add_verbose(parser, subcommand=True)
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    for name, text in _SIMPLE:
        sub = actions.add_parser(name, help=text)
        sub.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    signal = actions.add_parser("signal", help="signal quality (rssi, ber, dBm)")
    signal.add_argument("--repeat", type=timeout_value, default=None, metavar="S",
                        help="print it again every S seconds until Ctrl-C")
    signal.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    location = actions.add_parser("location", help="where the modem is (CellLocate or GNSS)")
    location.add_argument("--wait", type=timeout_value, default=30.0, metavar="S",
                          help="seconds to wait for a fix (default 30)")
    location.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    send = actions.add_parser("sms-send", help="send an SMS through the modem")
    send.add_argument("number", help="E.164 destination, e.g. +15555550100")
    send.add_argument("text", help="the message (160 GSM or 70 UCS-2 characters)")
    send.add_argument("--pdu", action="store_true", help="use PDU mode")
    send.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    raw = actions.add_parser("command", help='send one raw AT command, e.g. "AT+CSQ"')
    raw.add_argument("at", metavar="AT", help="the command line")
    raw.add_argument("-t", "--at-timeout", type=timeout_value, default=None, dest="at_timeout",
                     help="seconds for this command (default --timeout)")
    raw.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    for name in ("connect", "disconnect"):
        sub = actions.add_parser(name, help=f"the 0.10 spelling of 'hologram network {name}'")
        sub.add_argument("--mode", choices=("ppp", "serial"), default=None)
    parser.set_defaults(func=run, prog=parser.prog)


def describe_error(exc: BaseException) -> str:
    """One line for a typed SDK error."""
    hint = HINTS.get(type(exc).__name__)
    if hint:
        return hint
    return str(exc) or type(exc).__name__


def _target(args: argparse.Namespace) -> tuple[Optional[str], Optional[str]]:
    """(port, driver name) from --port/--profile, or the first modem found on USB."""
    from hologram_sdk.modem.registry import get_profile

    profile_name: Optional[str] = args.profile
    port: Optional[str] = args.port
    if port and port.startswith("sim://") and not profile_name:
        profile_name = urllib.parse.urlsplit(port).netloc or None
    if profile_name:
        profile = get_profile(profile_name)
        return port or profile.default_device, profile.name
    if port is None:
        from hologram_sdk.modem.discovery import find_first_modem

        found = find_first_modem()
        return found.device, found.profile
    return port, None


def _open_modem(args: argparse.Namespace) -> Any:
    from hologram_sdk.modem.modem import Modem
    from hologram_sdk.modem.profiles import GENERIC_PROFILE
    from hologram_sdk.modem.registry import get_driver

    port, name = _target(args)
    cls: Any = Modem
    if name and name != GENERIC_PROFILE.name:
        cls = get_driver(name).load()
    return cls("ppp", port, args.baud, timeout=args.timeout)


def _signal(modem: Any) -> dict[str, Any]:
    signal = modem.signal
    return {
        "rssi": signal.rssi,
        "ber": signal.ber,
        "dbm": signal.dbm,
        "percent": signal.percent,
        "bars": signal.bars,
    }


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
        return _signal(modem)
    if action == "sim":
        result: dict[str, Any] = {"sim": modem.sim_state.value, "iccid": None}
        try:
            result["iccid"] = modem.iccid
        except ATCommandError as exc:
            result["errors"] = {"iccid": describe_error(exc)}
        return result
    if action == "operator":
        return {"operator": modem.operator, "registration": modem.registration.value}
    if action == "imei":
        return {"imei": modem.imei}
    if action == "version":
        return {"version": modem.version}
    if action == "type":
        return {"type": modem.description, "driver": modem.profile.name}
    if action == "location":
        found = modem.get_location(args.wait)
        return {"location": found.to_dict() if found is not None else None}
    if action == "reset":
        modem.reset()
        return {"reset": True}
    if action in ("radio-on", "radio-off"):
        return {"radio": "on" if modem.radio_power(action == "radio-on") else "unchanged"}
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
    return {"command": args.at, "lines": modem.command(args.at, timeout=args.at_timeout)}


def _human(action: str, result: dict[str, Any]) -> str:
    if action == "signal":
        dbm = "unknown" if result["dbm"] is None else f"{result['dbm']} dBm"
        return f"rssi {result['rssi']} ber {result['ber']} ({dbm}, {result['bars']}/5 bars)"
    if action == "location":
        where = result["location"]
        if where is None:
            return "location: not available (no fix)"
        return (
            f"{where['latitude']:.6f}, {where['longitude']:.6f} at {where['date']} "
            f"{where['time']} UTC (altitude {where['altitude']}, uncertainty "
            f"{where['uncertainty']}, {where['source']})"
        )
    if action == "reset":
        return "restarted the modem"
    if action in ("radio-on", "radio-off"):
        return f"radio {result['radio']}"
    if action == "type":
        return str(result["type"])
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


def _network(args: argparse.Namespace) -> int:
    """``connect``/``disconnect``: the 0.10 spelling, handed to ``hologram network``."""
    from hologram_sdk.cli import main

    print(f"note: 'hologram modem {args.action}' is 'hologram network {args.action}' now",
          file=sys.stderr)
    argv = ["network"]
    if args.action == "connect":
        port, name = _target(args)
        if name:
            argv += ["--interface", f"cellular-{name}"]
        if port:
            argv += ["--port", port]
        if args.mode:
            argv += ["--mode", args.mode]
    if args.json:
        argv.append("--json")
    return main([*argv, args.action])


def _print(args: argparse.Namespace, result: dict[str, Any]) -> None:
    if args.json:
        print(json.dumps(result, sort_keys=True), flush=True)
    else:
        print(_human(args.action, result), flush=True)


def run(args: argparse.Namespace) -> int:
    """Run one modem action; returns the exit status."""
    from hologram_sdk.base.errors import ConfigurationError, HologramError

    prog = getattr(args, "prog", "hologram modem")
    try:
        if args.action in ("connect", "disconnect"):
            return _network(args)
        modem = _open_modem(args)
    except ConfigurationError as exc:
        print(f"{prog}: {describe_error(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except HologramError as exc:
        print(f"{prog}: {describe_error(exc)}", file=sys.stderr)
        return EXIT_FAILED
    try:
        with modem:
            repeat = getattr(args, "repeat", None)
            while True:
                _print(args, _collect(modem, args))
                if repeat is None:
                    break
                time.sleep(repeat)
    except ConfigurationError as exc:
        print(f"{prog}: {describe_error(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except HologramError as exc:
        print(f"{prog}: {describe_error(exc)}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK
