"""``hologram spacebridge`` (hologram-python 0.10): bring the cellular link up and
print the messages that arrive over it until the timeout or Ctrl-C."""

from __future__ import annotations

import argparse
import threading

from hologram_sdk.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    CLIError,
    fail,
    stop_on_signals,
    timeout_value,
    wait,
)
from hologram_sdk.cli.receive import add_modem_arguments, cloud_on_modem


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "spacebridge",
        help="connect the cellular link and print inbound messages (0.10)",
        description="Bring the modem's link up (PPP, needs root), listen on port 4010 "
        "and print each inbound message until --timeout or Ctrl-C.",
    )
    add_modem_arguments(parser)
    parser.add_argument("-t", "--timeout", type=timeout_value, default=-1.0,
                        help="seconds to listen; -1 (default) until Ctrl-C")
    parser.set_defaults(func=run, prog=parser.prog)


def run(args: argparse.Namespace) -> int:
    try:
        return _spacebridge(args)
    except CLIError as error:
        return fail(args.prog, error)


def _spacebridge(args: argparse.Namespace) -> int:
    from hologram_sdk.base.errors import HologramError

    printing = threading.Lock()
    with stop_on_signals() as stop, cloud_on_modem(args) as cloud:

        def show() -> None:
            with printing:
                while (message := cloud.popReceivedMessage()) is not None:
                    print(f"Received message: {message}", flush=True)

        cloud.event.subscribe("message.received", show)
        try:
            if not cloud.network.connect():
                raise CLIError("the cellular link did not come up", EXIT_FAILED)
            cloud.openReceiveSocket()
        except HologramError as exc:
            raise CLIError(str(exc), EXIT_FAILED) from None
        print(f"Ready to receive data on port {cloud.receive_port}", flush=True)
        wait(stop, args.timeout)
        show()
        print("Closing socket...", flush=True)
    return EXIT_OK
