"""The ``hologram`` command: one entry point, one module per subcommand.

Each subcommand module defines ``register(subparsers)`` which adds its parser
and sets ``func`` (a callable taking the parsed args and returning an exit
status). Modules are listed here and imported only when the CLI starts.
"""

from __future__ import annotations

import argparse
import importlib
import io
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
    "heartbeat",
    "activate",
    "spacebridge",
    "version",
    "config",
    "completion",
)


#: ``--help`` examples, one or two per subcommand (HOST:PORT a local cloud's).
EXAMPLES: dict[str, tuple[str, ...]] = {
    "send": (
        "hologram send '21.5' -t TEMP --host 127.0.0.1 --port 9999   # credentials from "
        "HOLOGRAM_CLOUD_ID/HOLOGRAM_CLOUD_KEY",
        "hologram send --raw 'hello' --host my.server --port 5000     # no Hologram protocol",
    ),
    "sms": ("hologram sms -f credentials.hjson --destination +15551234567 'hi there'",),
    "receive": ("hologram receive --port 4010 --timeout 60",),
    "server": ("hologram server --port 9999 --db /tmp/cloud.db",),
    "messages": ("hologram messages --db /tmp/cloud.db --json --follow",),
    "push": ("hologram push --port 4010 'turn the fan on'",),
    "outbox": ("hologram outbox list", "hologram outbox flush --timeout 10"),
    "modem": ("hologram modem info", "hologram modem --port sim://bg96 signal --json"),
    "emulate": ("hologram emulate modem --profile iota   # prints the pty to use as --port",),
    "network": ("hologram network status", "sudo hologram network connect"),
    "heartbeat": ("hologram heartbeat 'alive' --repeat 60 --duration 3600",),
    "activate": ("hologram activate --apikey KEY --iccid 8944500102198304826",),
    "spacebridge": ("hologram spacebridge",),
    "version": ("hologram version",),
    "config": ("hologram config show", "hologram config show --json -f credentials.hjson"),
}


class HelpWithExamples(argparse.HelpFormatter):
    """The default help, with the examples epilog kept line by line."""

    def _format_text(self, text: str) -> str:
        if text.startswith("examples:"):
            return text + "\n\n"
        return super()._format_text(text)


def build_parser(subcommands: Sequence[str] = SUBCOMMANDS) -> argparse.ArgumentParser:
    """The ``hologram`` parser with ``subcommands`` (module names under ``hologram_sdk.cli``).

    :raises ModuleNotFoundError: a listed subcommand module does not exist
    """
    parser = argparse.ArgumentParser(
        prog="hologram", description="Hologram SDK command line: cloud, outbox, modem, network."
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="show the SDK's log lines")
    parser.add_argument(
        "--version", action="version", version=version_text(), help="print the SDK version"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in subcommands:  # a missing module is an ImportError, never a silent gap
        importlib.import_module(f"hologram_sdk.cli.{name}").register(subparsers)
    for name, sub in subparsers.choices.items():
        if sub.epilog is None and name in EXAMPLES:
            sub.epilog = "examples:\n" + "\n".join(f"  {line}" for line in EXAMPLES[name])
            sub.formatter_class = HelpWithExamples
    return parser


class ReferenceFormatter(logging.Formatter):
    """``INFO:<class>:<message>``: façade classes log on ``<module>.<ClassName>``
    child loggers, so the last component of the logger name is the class."""

    def format(self, record: logging.LogRecord) -> str:
        record.shortname = record.name.rsplit(".", 1)[-1]
        return super().format(record)


class _OptedIn(logging.Filter):
    """Without --verbose: only records of loggers a command set a level on itself
    (e.g. ``hologram server``'s request lines), so a failing command prints its one
    error line and no SDK warnings. The root level stays WARNING, so other handlers
    (an application's, pytest's) still get warnings and errors."""

    def filter(self, record: logging.LogRecord) -> bool:
        logger: Optional[logging.Logger] = logging.getLogger(record.name)
        root = logging.getLogger()
        while logger is not None and logger is not root:
            if logger.level != logging.NOTSET:
                return True
            logger = logger.parent
        return False


def configure_logging(verbose: bool) -> None:
    """Log to stderr: INFO and up with ``--verbose``, else only what a command opts in."""
    handler = logging.StreamHandler()
    handler.setFormatter(ReferenceFormatter("%(levelname)s:%(shortname)s:%(message)s"))
    if not verbose:
        handler.addFilter(_OptedIn())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if verbose else logging.WARNING)


def version_text() -> str:
    """What ``hologram --version`` and ``hologram version`` print."""
    from hologram_sdk import __version__

    return f"Hologram Python SDK version {__version__}"


def whole_lines(*streams: object) -> None:
    """Make each ``print`` to these streams reach the file in one write.

    Unbuffered (``python -u``, ``PYTHONUNBUFFERED=1``, as systemd units and
    containers often set) ``print`` writes the text and its newline separately,
    so a log line from another thread (``hologram server``'s routes) can land
    between them and two lines come out as one. Line buffering keeps each line
    going out at once, whole. Only streams on a real file descriptor are
    changed (never a test's capture object).
    """
    for stream in streams:
        if (
            isinstance(stream, io.TextIOWrapper)
            and stream.write_through
            and isinstance(stream.buffer, io.FileIO)
        ):
            stream.reconfigure(write_through=False, line_buffering=True)


def main(argv: Optional[Sequence[str]] = None) -> int:
    whole_lines(sys.stdout, sys.stderr)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # bare `hologram`: the commands, a line each
        parser.print_help()
        return 2
    level = getattr(args, "verbose_level", 0)  # hologram-python 0.10's -v / -vv
    configure_logging(args.verbose or level > 0)
    if level > 1:
        logging.getLogger().setLevel(logging.DEBUG)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
