"""``hologram sms`` and ``hologram_sms.py``: send an SMS through the Hologram cloud."""

from __future__ import annotations

import argparse

from hologram_sdk.cli.common import (
    EXIT_USAGE,
    CLIError,
    add_authtype,
    add_credentials,
    add_json,
    add_verbose,
    credentials_from,
    fail,
    hologram_request,
    port_value,
    positive_timeout,
    require_credentials,
)

DEFAULT_TIMEOUT = 5.0


def add_arguments(parser: argparse.ArgumentParser, *, subcommand: bool) -> None:
    """The reference's ``hologram_sms.py`` flags, plus ``--host/--port/--timeout``."""
    parser.add_argument("message", nargs="?", help="the SMS text (at most 160 characters)")
    add_credentials(parser)
    add_authtype(parser)
    parser.add_argument(
        "--destination", nargs="?", help="destination number in E.164 with '+', e.g. +15551234567"
    )
    parser.add_argument("--host", help="cloud host (default cloudsocket.hologram.io)")
    parser.add_argument("-p", "--port", type=port_value, help="cloud port (default 9999)")
    parser.add_argument(
        "--timeout",
        type=positive_timeout,
        default=DEFAULT_TIMEOUT,
        help="seconds to wait for the reply (default 5)",
    )
    add_json(parser, "the cloud's reply")
    add_verbose(parser, subcommand=subcommand)
    parser.set_defaults(func=run, prog=parser.prog)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "sms",
        help="send an SMS through the cloud",
        description="Send an SMS to --destination through the Hologram cloud "
        "(or --host/--port, e.g. a local cloud).",
    )
    add_arguments(parser, subcommand=True)


def run(args: argparse.Namespace) -> int:
    """Send the SMS; print the cloud's response. Returns the exit status."""
    try:
        return _send(args)
    except CLIError as error:
        return fail(args.prog, error)


def _send(args: argparse.Namespace) -> int:
    if not args.destination:
        raise CLIError(
            "missing --destination: give the number in E.164 with '+', e.g. +15551234567",
            EXIT_USAGE,
        )
    if args.message is None:
        raise CLIError("no message: give MESSAGE (quote it if it has spaces)", EXIT_USAGE)
    if args.message == "":
        raise CLIError("an empty SMS: there is nothing to send; give MESSAGE", EXIT_USAGE)
    if args.authtype in ("totp", "sim-otp"):
        credentials = credentials_from(args)
    else:
        credentials = require_credentials(args)
    return hologram_request(
        args,
        credentials,
        lambda cloud: cloud.sendSMS(args.destination, args.message, timeout=args.timeout),
    )
