"""``hologram receive`` and ``hologram_receive.py``: print inbound messages as they arrive."""

from __future__ import annotations

import argparse
import sys
import threading
import time
from typing import Any

from hologram_sdk.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    CLIError,
    add_verbose,
    explain,
    fail,
    port_value,
    stop_on_signals,
    timeout_value,
    wait,
)

DEFAULT_HOST = "0.0.0.0"
DEFAULT_PORT = 4010


def add_arguments(parser: argparse.ArgumentParser, *, subcommand: bool) -> None:
    """The reference's ``hologram_receive.py`` flags (shared by ``hologram receive``)."""
    parser.add_argument(
        "--host", default=DEFAULT_HOST, help="address to listen on (default 0.0.0.0)"
    )
    parser.add_argument(
        "-p", "--port", type=port_value, default=DEFAULT_PORT, help="port (default 4010)"
    )
    parser.add_argument(
        "-t",
        "--timeout",
        type=timeout_value,
        default=-1.0,
        help="seconds to listen; -1 (default) until Ctrl-C or SIGTERM (in 'hologram send' "
        "-t is --topic: write the long forms to be sure)",
    )
    parser.add_argument("--data", action="store_true", help="receive messages (the default; 0.10)")
    parser.add_argument(
        "--raw",
        action="store_true",
        help="print each message's bytes as they came (by default control characters "
        "such as ESC are shown escaped, so a message cannot drive the terminal)",
    )
    parser.add_argument(
        "--sms", action="store_true", help="print SMS the modem receives instead (0.10)"
    )
    add_modem_arguments(parser)
    add_verbose(parser, subcommand=subcommand)
    parser.set_defaults(func=run, prog=parser.prog)


def add_modem_arguments(parser: argparse.ArgumentParser) -> None:
    """``-m/--modem`` (0.10) and ``--device``: which modem to use, and where."""
    parser.add_argument(
        "-m", "--modem", default=None,
        help="the modem type (nova, e303, ms2131, iota...); default: whichever is plugged in",
    )
    parser.add_argument("--device", help="the modem's port (device path or sim:// URL)")


def cloud_on_modem(args: argparse.Namespace) -> Any:
    """A HologramCloud on the modem ``-m``/``--device`` name (0.10's network='cellular').

    :raises CLIError: an unknown modem name
    """
    from hologram_sdk.base.errors import HologramError
    from hologram_sdk.cloud.hologram import HologramCloud
    from hologram_sdk.modem.registry import driver_for_interface, get_driver

    modem = None
    network = "cellular"
    try:
        if args.modem and driver_for_interface(f"cellular-{args.modem}") is not None:
            network = f"cellular-{args.modem}"
        if args.device:
            driver = get_driver(args.modem) if args.modem else None
            cls = driver.load() if driver is not None else get_driver("e303").load()
            modem = cls(deviceName=args.device)
        return HologramCloud(None, enable_inbound=False, network=network, modem=modem,
                             outbox=False)
    except HologramError as exc:
        raise CLIError(str(exc), EXIT_USAGE) from None


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "receive",
        help="listen for inbound (cloud-to-device) messages and print them",
        description="Listen on --host/--port and print each inbound message as it arrives.",
    )
    add_arguments(parser, subcommand=True)


def run(args: argparse.Namespace) -> int:
    """Listen until the timeout or a signal. Returns the exit status."""
    try:
        return _receive(args)
    except CLIError as error:
        return fail(args.prog, error)


def _receive_sms(args: argparse.Namespace) -> int:
    from hologram_sdk.base.errors import HologramError

    with stop_on_signals() as stop, cloud_on_modem(args) as cloud:
        modem = cloud.network.modem if args.device else None
        print("Ready to receive sms", flush=True)
        deadline = None if args.timeout < 0 else time.monotonic() + args.timeout
        try:
            while not stop.is_set():
                sms = cloud.popReceivedSMS()
                if sms is not None:
                    text = getattr(sms, "message", None) or getattr(sms, "text", "")
                    print(
                        f"Received SMS: {_shown(str(sms.sender))} {sms.timestamp}: "
                        f"{_shown(str(text))}",
                        flush=True,
                    )
                    continue
                if deadline is not None and time.monotonic() >= deadline:
                    break
                stop.wait(1.0 if deadline is None else max(0, min(1.0, deadline -
                                                                   time.monotonic())))
        except HologramError as exc:
            raise CLIError(str(exc), EXIT_FAILED) from None
        finally:
            if modem is not None:
                modem.close()
    return EXIT_OK


def _shown(text: str) -> str:
    """Network text for the terminal: control characters (ESC, BEL, CR...) escaped."""
    from hologram_sdk.cli.tables import printable

    return printable(text, 1 << 30)


def _receive(args: argparse.Namespace) -> int:
    if args.data and args.sms:
        raise CLIError("must pick either one of --data or --sms", EXIT_USAGE)
    if args.sms:
        return _receive_sms(args)
    from hologram_sdk.base.errors import HologramError
    from hologram_sdk.cloud.custom import CustomCloud

    printing = threading.Lock()
    raw = bool(getattr(args, "raw", False))
    with stop_on_signals() as stop:
        try:
            cloud = CustomCloud(None, receive_host=args.host, receive_port=args.port)
        except (HologramError, OSError) as exc:
            raise explain(exc, args.host, args.port) from None
        with cloud:

            def show() -> None:
                with printing:
                    while (data := cloud.popReceivedMessage(raw=True)) is not None:
                        assert isinstance(data, bytes)
                        if raw:
                            sys.stdout.flush()
                            sys.stdout.buffer.write(b"Received message: " + data + b"\n")
                            sys.stdout.buffer.flush()
                        else:
                            text = _shown(data.decode("utf-8", "replace"))
                            print(f"Received message: {text}", flush=True)

            cloud.event.subscribe("message.received", show)
            try:
                cloud.openReceiveSocket()
            except (HologramError, OSError) as exc:
                raise explain(exc, args.host, args.port) from None
            print(f"Ready to receive data on port {args.port}", flush=True)
            wait(stop, args.timeout)
            show()  # anything that arrived in the last instant
            print("Closing socket...", flush=True)
    return EXIT_OK
