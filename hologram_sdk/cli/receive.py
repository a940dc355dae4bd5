"""``hologram receive`` and ``hologram_receive.py``: print inbound messages as they arrive."""

from __future__ import annotations

import argparse
import threading

from hologram_sdk.cli.common import (
    EXIT_OK,
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
        help="seconds to listen; -1 (default) until Ctrl-C or SIGTERM",
    )
    add_verbose(parser, subcommand=subcommand)
    parser.set_defaults(func=run, prog=parser.prog)


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


def _receive(args: argparse.Namespace) -> int:
    from hologram_sdk.base.errors import HologramError
    from hologram_sdk.cloud.custom import CustomCloud

    printing = threading.Lock()
    with stop_on_signals() as stop:
        try:
            cloud = CustomCloud(None, receive_host=args.host, receive_port=args.port)
        except (HologramError, OSError) as exc:
            raise explain(exc, args.host, args.port) from None
        with cloud:

            def show() -> None:
                with printing:
                    while (message := cloud.popReceivedMessage()) is not None:
                        if isinstance(message, bytes):
                            message = message.decode("utf-8", "replace")
                        print(f"Received message: {message}", flush=True)

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
