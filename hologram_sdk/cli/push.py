"""``hologram push``: deliver a cloud-to-device message to a device's inbound port."""

from __future__ import annotations

import argparse

from hologram_sdk.cli.common import (
    EXIT_OK,
    add_verbose,
    explain,
    fail,
    port_value,
    positive_timeout,
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "push",
        help="deliver a message to a device's inbound port (as the cloud does)",
        description="Connect to HOST:PORT, write MESSAGE, close: one connection, one message.",
    )
    parser.add_argument("message", help="the message to deliver")
    parser.add_argument("--host", default="127.0.0.1", help="device address (default 127.0.0.1)")
    parser.add_argument("--port", "-p", type=port_value, required=True, help="device port")
    parser.add_argument("--timeout", type=positive_timeout, default=5.0, help="seconds (default 5)")
    add_verbose(parser, subcommand=True)
    parser.set_defaults(func=run, prog=parser.prog)


def run(args: argparse.Namespace) -> int:
    """Push the message. Returns the exit status."""
    from hologram_sdk.base.errors import HologramError
    from hologram_sdk.emulator.cloud import push

    try:
        sent = push(args.host, args.port, args.message, timeout=args.timeout)
    except (HologramError, OSError) as exc:
        return fail(args.prog, explain(exc, args.host, args.port, args.timeout))
    print(f"pushed {sent} bytes to {args.host}:{args.port}")
    return EXIT_OK
