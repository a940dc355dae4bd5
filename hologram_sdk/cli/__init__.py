"""The ``hologram`` command: one entry point, one module per subcommand.

Each subcommand module defines ``register(subparsers)`` which adds its parser
and sets ``func`` (a callable taking the parsed args and returning an exit
status). Modules are listed here and imported only when the CLI starts.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import logging
import sys
from collections.abc import Sequence
from typing import Optional

#: subcommand module names under hologram_sdk.cli, in help order.
SUBCOMMANDS = (
    "send",
    "sms",
    "receive",
    "server",
    "messages",
    "push",
    "outbox",
    "modem",
    "emulate",
    "network",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hologram", description="Hologram SDK command line: cloud, outbox, modem, network."
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="show the SDK's log lines")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for name in SUBCOMMANDS:
        module_name = f"hologram_sdk.cli.{name}"
        if importlib.util.find_spec(module_name) is None:  # not built yet
            continue
        importlib.import_module(module_name).register(subparsers)
    return parser


class ReferenceFormatter(logging.Formatter):
    """``INFO:<class>:<message>``: façade classes log on ``<module>.<ClassName>``
    child loggers, so the last component of the logger name is the class."""

    def format(self, record: logging.LogRecord) -> str:
        record.shortname = record.name.rsplit(".", 1)[-1]
        return super().format(record)


def configure_logging(verbose: bool) -> None:
    """Log to stderr: INFO and up with ``--verbose``, else warnings only."""
    handler = logging.StreamHandler()
    handler.setFormatter(ReferenceFormatter("%(levelname)s:%(shortname)s:%(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if verbose else logging.WARNING)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.verbose)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
