"""``hologram heartbeat`` (hologram-python 0.10): ``hologram send`` that repeats,
every 30 seconds unless ``--repeat`` says otherwise, until ``--duration`` or Ctrl-C."""

from __future__ import annotations

import argparse

from hologram_sdk.cli import send

#: seconds between heartbeats when --repeat is not given
DEFAULT_REPEAT_PERIOD = 30.0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "heartbeat",
        help="send a message periodically (0.10; every 30 s by default)",
        description="Send MESSAGE every --repeat seconds (default 30) until --duration "
        "ends or Ctrl-C; the flags are those of 'hologram send'.",
    )
    send.add_arguments(parser, subcommand=True)
    parser.set_defaults(func=run, prog=parser.prog)


def run(args: argparse.Namespace) -> int:
    if not args.repeat:
        args.repeat = DEFAULT_REPEAT_PERIOD
    return send.run(args)
