"""``hologram send`` and ``hologram_send.py``: send a message to the Hologram cloud or a server."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Optional

from hologram_sdk.base.config import MISSING_CREDENTIALS
from hologram_sdk.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    CLIError,
    add_authtype,
    add_credentials,
    add_json,
    add_verbose,
    credentials_from,
    explain,
    fail,
    hologram_request,
    port_value,
    positive_timeout,
    refusal,
    stop_on_signals,
    timeout_value,
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
        help="topic(s) for the message; repeat -t or list several (in 'hologram receive' "
        "-t is --timeout: write the long forms to be sure)",
    )
    parser.add_argument(
        "--raw",
        action="store_true",
        help="send MESSAGE as it is (no Hologram protocol, no credentials) to --host/--port "
        "and print the reply"
        + ("" if subcommand else "; implied without credentials, as in the reference"),
    )
    add_json(parser, "the cloud's reply")
    add_010_arguments(parser)
    add_verbose(parser, subcommand=subcommand)
    # hologram_send.py keeps the reference's rule: no credentials + --host/--port = raw.
    parser.set_defaults(func=run, prog=parser.prog, implicit_raw=not subcommand)


def add_010_arguments(parser: argparse.ArgumentParser) -> None:
    """hologram-python 0.10's ``hologram send`` flags (beside the reference's)."""
    parser.add_argument("--cloud", action="store_true", help="a cloud message (the default)")
    parser.add_argument(
        "--sms", action="store_true", help="send an SMS to --destination instead (0.10)"
    )
    parser.add_argument("--destination", help="the SMS destination, E.164 with '+' (0.10)")
    parser.add_argument(
        "--repeat",
        type=timeout_value,
        default=0,
        help="send again every REPEAT seconds (at least 1) until --duration ends (0.10)",
    )
    parser.add_argument(
        "--duration",
        type=timeout_value,
        default=-1,
        help="seconds the periodic sending lasts; -1 (default) until Ctrl-C (0.10)",
    )
    parser.add_argument(
        "-v", action="count", dest="verbose_level", default=0,
        help="0.10's verbosity: -v the SDK's log lines, -vv also debug lines",
    )


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "send",
        help="send a message (Hologram protocol with credentials, or --raw)",
        description="Send a message. With credentials it goes to the Hologram cloud "
        "(or --host/--port, e.g. a local cloud) in the Hologram protocol; with --raw "
        "the message goes as it is to --host/--port (CustomCloud) and the reply is printed.",
    )
    add_arguments(parser, subcommand=True)


def run(args: argparse.Namespace) -> int:
    """Send ``args.message``; print the cloud's response. Returns the exit status."""
    try:
        return _send(args)
    except CLIError as error:
        return fail(args.prog, error)


def _send_periodic(
    args: argparse.Namespace, credentials: Optional[dict[str, str]], topics: list[str]
) -> int:
    """0.10's ``--repeat``/``--duration``: send every REPEAT seconds while DURATION lasts."""
    from hologram_sdk.cli.common import _auth_modem
    from hologram_sdk.cloud.hologram import DEFAULT_SEND_HOST, DEFAULT_SEND_PORT

    authtype = getattr(args, "authtype", None)
    if credentials is None and authtype not in ("totp", "sim-otp"):
        _check_raw(args, topics)
    host = args.host or DEFAULT_SEND_HOST
    port = args.port or DEFAULT_SEND_PORT
    modem = _auth_modem(args)
    try:
        return _run_periodic(args, credentials, topics, authtype, modem, host, port)
    finally:
        if modem is not None:
            modem.close()


def _run_periodic(
    args: argparse.Namespace,
    credentials: Optional[dict[str, str]],
    topics: list[str],
    authtype: Optional[str],
    modem: object,
    host: str,
    port: int,
) -> int:
    from hologram_sdk.base.errors import HologramError
    from hologram_sdk.cloud.custom import CustomCloud
    from hologram_sdk.cloud.hologram import HologramCloud

    with stop_on_signals() as stop:
        try:
            cloud: CustomCloud
            if args.raw or (credentials is None and authtype not in ("totp", "sim-otp")):
                cloud = CustomCloud(None, send_host=host, send_port=port, outbox=False)
            else:
                cloud = HologramCloud(credentials or {}, enable_inbound=False,
                                      authentication_type=authtype, modem=modem,
                                      send_host=host, send_port=port, outbox=False)
        except (HologramError, OSError) as exc:
            raise explain(exc, host, port, args.timeout) from None
        with cloud:
            sent: list[object] = []
            cloud.event.subscribe("message.sent", lambda *a: sent.append(a))
            try:
                cloud.sendPeriodicMessage(args.repeat, args.message, topics or None,
                                          args.timeout)
            except HologramError as exc:
                raise CLIError(str(exc), EXIT_USAGE) from None
            deadline = None if args.duration < 0 else time.monotonic() + args.duration
            while cloud.periodicMessageRunning() and not stop.is_set():
                left = 0.2 if deadline is None else min(0.2, deadline - time.monotonic())
                if left <= 0:
                    break
                stop.wait(left)
            failed = not cloud.periodicMessageRunning()
            cloud.stopPeriodicMessage()
            print(f"Sent {len(sent)} periodic message(s) to {host}:{port}", flush=True)
    if failed and (deadline is None or time.monotonic() < deadline) and not stop.is_set():
        print(f"{args.prog}: the periodic sending stopped: a send failed or was refused",
              file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _check_raw(args: argparse.Namespace, topics: list[str]) -> None:
    """A raw send is chosen (``--raw``, or the reference script without credentials).

    :raises CLIError: no credentials and no --raw, or --raw without --host/--port or with topics
    """
    if not (args.raw or args.implicit_raw):
        raise CLIError(
            f"{MISSING_CREDENTIALS}; or --raw --host H --port P to send the message as it is "
            "to your own server",
            EXIT_USAGE,
        )
    if not args.host or not args.port:
        if args.raw:
            raise CLIError("--raw needs --host and --port: the server to send to", EXIT_USAGE)
        raise CLIError(
            "missing credentials: give --cloud_id/--cloud_key, the environment, or -f FILE "
            "(or --host and --port to send a raw message to your own server)",
            EXIT_USAGE,
        )
    if args.raw and (args.cloud_id or args.cloud_key or args.devicekey or args.file):
        raise CLIError("--raw sends no credentials: leave out --cloud_id/--cloud_key/"
                       "--devicekey/-f", EXIT_USAGE)
    if topics:
        raise CLIError("topics need the Hologram protocol: give credentials (a raw message "
                       "has no topics)", EXIT_USAGE)


def _error_code(reply: object) -> Optional[int]:
    """The Hologram error code in a raw reply (``[5,0]``), or None for anything else."""
    from hologram_sdk.wire.protocol import parse_reply

    text = str(reply).strip()
    if not text.startswith("["):
        return None
    parsed = parse_reply(text.encode(), closed=True)
    if parsed.code is None or int(parsed.code) == 0:
        return None
    return int(parsed.code)


def _send(args: argparse.Namespace) -> int:
    from hologram_sdk.base.errors import HologramError
    from hologram_sdk.cloud.custom import CustomCloud

    if args.message is None:
        hint = " before -t, or end the topics with --" if args.topic else ""
        raise CLIError(f"no message: give MESSAGE{hint} (quote it if it has spaces)", EXIT_USAGE)
    if args.message == "":
        raise CLIError("an empty message: there is nothing to send; give MESSAGE", EXIT_USAGE)
    if args.cloud and args.sms:
        raise CLIError("must pick either one of --cloud or --sms", EXIT_USAGE)
    credentials = credentials_from(args)
    topics = [t for t in (args.topic or []) if t]
    if args.sms:
        if not args.destination:
            raise CLIError("--sms needs --destination: the number in E.164 with '+'",
                           EXIT_USAGE)
        if credentials is None and args.authtype not in ("totp", "sim-otp"):
            raise CLIError("--sms needs credentials (--devicekey, or the environment, or -f)",
                           EXIT_USAGE)
        return hologram_request(
            args, credentials,
            lambda cloud: cloud.sendSMS(args.destination, args.message, timeout=args.timeout),
        )
    if args.repeat:
        return _send_periodic(args, credentials, topics)
    if args.raw or (credentials is None and args.authtype not in ("totp", "sim-otp")):
        _check_raw(args, topics)
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
        code = _error_code(reply)
        if args.json:
            print(json.dumps({"ok": code is None, "reply": str(reply), "code": code}))
        else:
            print(f"RESPONSE FROM CLOUD: {reply}")
        if code is not None:
            raise refusal(code, host, port)
        return EXIT_OK
    return hologram_request(
        args,
        credentials,
        lambda cloud: cloud.sendMessage(args.message, topics=topics or None, timeout=args.timeout),
    )
