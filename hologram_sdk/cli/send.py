"""``hologram send`` and ``hologram_send.py``: send a message to the Hologram cloud or a server."""

from __future__ import annotations

import argparse

from hologram_sdk.cli.common import (
    EXIT_OK,
    EXIT_USAGE,
    CLIError,
    add_authtype,
    add_credentials,
    add_verbose,
    credentials_from,
    explain,
    fail,
    hologram_request,
    port_value,
    positive_timeout,
)

DEFAULT_TIMEOUT = 5.0


def add_arguments(parser: argparse.ArgumentParser, *, subcommand: bool) -> None:
    """The reference's ``hologram_send.py`` flags (shared by ``hologram send``)."""
    parser.add_argument("message", nargs="?", help="the message to send")
    add_credentials(parser)
    add_authtype(parser)
    parser.add_argument(
        "--timeout",
        type=positive_timeout,
        default=DEFAULT_TIMEOUT,
        help="seconds to wait for the reply (default 5)",
    )
    parser.add_argument(
        "--host", help="cloud host (default cloudsocket.hologram.io; needed without credentials)"
    )
    parser.add_argument(
        "-p",
        "--port",
        type=port_value,
        help="cloud port (default 9999; needed without credentials)",
    )
    parser.add_argument(
        "-t",
        "--topic",
        nargs="*",
        action="extend",
        default=None,
        help="topic(s) for the message; repeat -t or list several",
    )
    add_verbose(parser, subcommand=subcommand)
    parser.set_defaults(func=run, prog=parser.prog)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "send",
        help="send a message (Hologram protocol with credentials, raw without)",
        description="Send a message. With credentials it goes to the Hologram cloud "
        "(or --host/--port, e.g. a local cloud) in the Hologram protocol; without "
        "credentials the raw message goes to --host/--port with CustomCloud.",
    )
    add_arguments(parser, subcommand=True)


def run(args: argparse.Namespace) -> int:
    """Send ``args.message``; print the cloud's response. Returns the exit status."""
    try:
        return _send(args)
    except CLIError as error:
        return fail(args.prog, error)


def _send(args: argparse.Namespace) -> int:
    from hologram_sdk.base.errors import HologramError
    from hologram_sdk.cloud.custom import CustomCloud

    if args.message is None:
        hint = " before -t, or end the topics with --" if args.topic else ""
        raise CLIError(f"no message: give MESSAGE{hint} (quote it if it has spaces)", EXIT_USAGE)
    credentials = credentials_from(args)
    topics = [t for t in (args.topic or []) if t]
    if credentials is None and args.authtype not in ("totp", "sim-otp"):
        if not args.host or not args.port:
            raise CLIError(
                "missing credentials: give --cloud_id/--cloud_key, the environment, or -f FILE "
                "(or --host and --port to send a raw message to your own server)",
                EXIT_USAGE,
            )
        if topics:
            raise CLIError("topics need the Hologram protocol: give credentials", EXIT_USAGE)
        host, port = args.host, args.port
        custom = None
        try:
            custom = CustomCloud(None, send_host=host, send_port=port, outbox=False)
            reply = custom.sendMessage(args.message, timeout=args.timeout)
        except (HologramError, OSError) as exc:
            raise explain(exc, host, port, args.timeout) from None
        finally:
            if custom is not None:
                custom.close()
        print(f"RESPONSE FROM CLOUD: {reply}")
        return EXIT_OK
    return hologram_request(
        args,
        credentials,
        lambda cloud: cloud.sendMessage(args.message, topics=topics or None, timeout=args.timeout),
    )
