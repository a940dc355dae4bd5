"""``hologram network``: bring the cellular link up or down, and show its state at a glance."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import select
import signal
import sys
import time
from pathlib import Path
from typing import Any, Optional

from hologram_sdk.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    add_verbose,
    stop_on_signals,
    timeout_value,
)
from hologram_sdk.modem.registry import ModemDriver, driver_for_interface, interface_names

_STATE_FILE = "network.json"


def default_state_dir() -> Path:
    """Where ``connect`` records the link for ``status``/``disconnect``.

    ``/run/hologram`` as root, else ``$XDG_RUNTIME_DIR/hologram``, else a
    per-user directory under the temp dir.
    """
    from hologram_sdk.base.paths import runtime_dir

    return runtime_dir()


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "network",
        help="cellular link: connect, disconnect, status",
        description="Bring the cellular data link up (pppd with the chat script, or serial "
        "mode on the modem's own sockets) and down, and show SIM, signal, registration, "
        "operator, link state and addresses. PPP needs root.",
    )
    parser.add_argument(
        "--interface",
        choices=interface_names(),
        help="network interface (default: the modem found on USB; none found is an error; "
        "with --port alone, cellular-e303)",
    )
    parser.add_argument("--port", help="the modem's device (default: the interface's own)")
    parser.add_argument("--mode", choices=("ppp", "serial"), default=None,
                        help="ppp (default) or serial (the modem's own sockets: IOTA, nova, "
                        "novam, bg96, ec21, ec25; no pppd, no root)")
    parser.add_argument("--baud", default="9600", help="serial speed (default 9600)")
    parser.add_argument("--apn", default="hologram", help="access point name (default hologram)")
    parser.add_argument("--chatscript", help="chat script (must be executable)")
    parser.add_argument("--pppd", default="/usr/sbin/pppd", help="the pppd program")
    parser.add_argument("--state-dir", type=Path, default=None,
                        help="where the link's state is kept (default /run/hologram as root)")
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    add_verbose(parser, subcommand=True)
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    connect = actions.add_parser("connect", help="bring the link up (PPP stays in the "
                                 "foreground until Ctrl-C or 'hologram network disconnect')")
    connect.add_argument("--timeout", type=timeout_value, default=200.0,
                         help="seconds for the link to come up (default 200)")
    connect.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    disconnect = actions.add_parser("disconnect", help="take the link started by connect down")
    disconnect.add_argument("--timeout", type=timeout_value, default=15.0,
                            help="seconds to wait for it to go (default 15)")
    disconnect.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    status = actions.add_parser("status", help="SIM, signal, registration, operator, link")
    status.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    parser.set_defaults(func=run, prog=parser.prog)


# --- state file ---------------------------------------------------------------------


def _state_path(args: argparse.Namespace) -> Path:
    return (args.state_dir or default_state_dir()) / _STATE_FILE


def _write_state(path: Path, state: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2))
    os.replace(tmp, path)


def _read_state(path: Path) -> Optional[dict[str, Any]]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_our_connect(pid: int) -> bool:
    """Whether ``pid`` is a ``hologram network connect`` (not some reused pid)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            words = f.read().split(b"\0")
    except OSError:
        return False
    return b"network" in words and b"connect" in words


# --- modem and network -------------------------------------------------------------------


def _interface(args: argparse.Namespace, state: Optional[dict[str, Any]]) -> tuple[str, str]:
    """(interface, device) from the flags, the state file, or USB discovery."""
    interface = args.interface or (state or {}).get("interface")
    device = args.port or (state or {}).get("device")
    if interface is None and device is None:
        # As `hologram modem`: the first supported modem that answers, or
        # ModemNotFoundError (no guessing a modem on /dev/ttyUSB0).
        from hologram_sdk.modem.discovery import find_first_modem

        found = find_first_modem()
        interface, device = f"cellular-{found.profile}", found.device
    elif interface is None:
        interface = "cellular-e303"  # --port alone: the reference's default modem
    if device is None:
        device = _driver(interface).profile.default_device
    return interface, device


def _driver(interface: str) -> ModemDriver:
    driver = driver_for_interface(interface)
    if driver is None:
        from hologram_sdk.base.errors import UnknownInterfaceError

        raise UnknownInterfaceError(f"unknown network interface {interface!r}")
    return driver


def _make_modem(args: argparse.Namespace, interface: str, device: str) -> Any:
    cls = _driver(interface).load()
    mode = args.mode or "ppp"
    return cls(mode=mode, deviceName=device, baudRate=args.baud, chatScriptFile=args.chatscript)


def _emit(args: argparse.Namespace, result: dict[str, Any], text: str) -> None:
    if args.json:
        print(json.dumps(result, sort_keys=True))  # one object, one line (as modem)
    else:
        print(text)


def _fail(args: argparse.Namespace, message: str, status: int = EXIT_FAILED) -> int:
    prog = getattr(args, "prog", "hologram network")
    if args.json:
        print(json.dumps({"ok": False, "error": message}))
    print(f"{prog}: {message}", file=sys.stderr)
    return status


def run(args: argparse.Namespace) -> int:
    """Run one network action; returns the exit status."""
    from hologram_sdk.base.errors import ConfigurationError, HologramError

    try:
        if args.action == "connect":
            return _connect(args)
        if args.action == "disconnect":
            return _disconnect(args)
        return _status(args)
    except ConfigurationError as exc:
        return _fail(args, str(exc), EXIT_USAGE)
    except HologramError as exc:
        return _fail(args, str(exc))


def _connect(args: argparse.Namespace) -> int:
    from hologram_sdk.base.events import NETWORK_CONNECTED, NETWORK_DISCONNECTED, Event
    from hologram_sdk.network.manager import NetworkManager

    path = _state_path(args)
    state = _read_state(path)
    if state and _alive(state.get("pid")) and _is_our_connect(int(state["pid"])):
        return _fail(args, f"a link is already up (hologram network connect, pid {state['pid']})")
    interface, device = _interface(args, None)
    modem = _make_modem(args, interface, device)
    event = Event()
    manager = NetworkManager(event, interface, modem=modem, apn=args.apn, pppd_path=args.pppd)
    serial = modem.mode == "serial"

    def record(_payload: Any = None) -> None:
        _write_state(path, {
            "pid": None if serial else os.getpid(),
            "interface": interface,
            "device": device,
            "mode": modem.mode,
            "connected": manager.is_connected,
            "local_ip": manager.localIPAddress,
            "remote_ip": manager.remoteIPAddress,
            "dns": list(getattr(manager.cellular, "dns", ())),
            "reason": manager.status_reason,
            "since": time.time(),
        })

    try:
        if not manager.connect(args.timeout):
            status = manager.getConnectionStatus()
            return _fail(args, f"not connected (status {status}): {manager.status_reason}")
        record()
        result = {
            "ok": True, "interface": interface, "device": device, "mode": modem.mode,
            "local_ip": manager.localIPAddress, "remote_ip": manager.remoteIPAddress,
        }
        _emit(args, result, f"connected on {device} ({interface}, {modem.mode}): local "
              f"{manager.localIPAddress or '-'}, remote {manager.remoteIPAddress or '-'}")
        sys.stdout.flush()
        if serial:
            return EXIT_OK  # the modem keeps its data context; nothing runs here
        event.subscribe(NETWORK_CONNECTED, record)
        event.subscribe(NETWORK_DISCONNECTED, record)
        with stop_on_signals() as stop:
            stop.wait()
        return EXIT_OK
    finally:
        manager.close()
        modem.close()
        if not serial:
            with contextlib.suppress(OSError):
                path.unlink()


def _disconnect(args: argparse.Namespace) -> int:
    path = _state_path(args)
    state = _read_state(path)
    if state is None:
        return _fail(args, f"no link was started by 'hologram network connect' ({path})")
    pid = state.get("pid")
    if state.get("mode") == "serial" or pid is None:
        interface, device = _interface(args, state)
        args.mode = "serial"
        modem = _make_modem(args, interface, device)
        with modem:
            with contextlib.suppress(Exception):
                modem.command("AT+UPSDA=0,4")
        path.unlink(missing_ok=True)
        _emit(args, {"ok": True, "stopped": "serial"}, "disconnected (serial mode)")
        return EXIT_OK
    if not (_alive(pid) and _is_our_connect(int(pid))):
        path.unlink(missing_ok=True)
        _emit(args, {"ok": True, "stopped": None}, "the link was already down")
        return EXIT_OK
    os.kill(int(pid), signal.SIGTERM)
    if not _wait_exit(int(pid), args.timeout):
        return _fail(args, f"hologram network connect (pid {pid}) did not stop within "
                     f"{args.timeout:g} s")
    _emit(args, {"ok": True, "stopped": pid}, f"disconnected (stopped pid {pid})")
    return EXIT_OK


def _wait_exit(pid: int, timeout: float) -> bool:
    """Wait for a process that is not our child to exit (pidfd, no polling)."""
    pidfd_open = getattr(os, "pidfd_open", None)
    if pidfd_open is not None:
        try:
            fd = pidfd_open(pid)
        except ProcessLookupError:
            return True
        try:
            ready, _, _ = select.select([fd], [], [], timeout)
            return bool(ready)
        finally:
            os.close(fd)
    deadline = time.monotonic() + timeout
    while _alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def _status(args: argparse.Namespace) -> int:
    from hologram_sdk.base.errors import HologramError

    state = _read_state(_state_path(args))
    interface, device = _interface(args, state)
    link_up = bool(state and state.get("connected") and (
        state.get("pid") is None or _alive(state.get("pid"))))
    result: dict[str, Any] = {
        "interface": interface,
        "device": device,
        "mode": (state or {}).get("mode") or args.mode or "ppp",
        "link": "up" if link_up else "down",
        "local_ip": (state or {}).get("local_ip") if link_up else None,
        "remote_ip": (state or {}).get("remote_ip") if link_up else None,
        "dns": (state or {}).get("dns", []) if link_up else [],
    }
    ppp_holds_port = link_up and result["mode"] == "ppp" and (
        args.port is None or args.port == (state or {}).get("device"))
    if ppp_holds_port:
        result["modem"] = "busy: pppd holds the port"
    else:
        modem = _make_modem(args, interface, device)
        try:
            with modem:
                sim = modem.sim_state
                result["sim"] = sim.value
                if sim.value == "ready":
                    sig = modem.signal
                    result["rssi"] = sig.rssi
                    result["signal_dbm"] = sig.dbm
                    result["registration"] = modem.registration.value
                    result["operator"] = modem.operator
        except HologramError as exc:
            result["modem"] = f"not answering: {exc}"
    _emit(args, result, _status_text(result))
    # A modem that does not answer is a failure, as `hologram modem info` reports it.
    return EXIT_FAILED if str(result.get("modem", "")).startswith("not answering") else EXIT_OK


def _status_text(r: dict[str, Any]) -> str:
    def show(value: Any) -> str:
        return "-" if value in (None, "", []) else str(value)

    lines = [f"interface: {r['interface']} ({r['mode']}) on {r['device']}"]
    if "modem" in r:
        lines.append(f"modem: {r['modem']}")
    if "sim" in r:
        lines.append(f"SIM: {r['sim']}")
    if "rssi" in r:
        dbm = "unknown" if r["signal_dbm"] is None else f"{r['signal_dbm']} dBm"
        lines.append(f"signal: {dbm} (rssi {r['rssi']})")
        lines.append(f"registration: {r['registration']}")
        lines.append(f"operator: {show(r['operator'])}")
    lines.append(f"link: {r['link']}")
    lines.append(f"local IP: {show(r['local_ip'])}")
    lines.append(f"remote IP: {show(r['remote_ip'])}")
    lines.append(f"DNS: {show(', '.join(r['dns']))}")
    return "\n".join(lines)
