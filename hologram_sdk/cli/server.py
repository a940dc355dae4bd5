"""``hologram server``: run the local cloud in the foreground, logging each request."""

from __future__ import annotations

import argparse
import logging

from hologram_sdk.cli.common import (
    EXIT_OK,
    CLIError,
    add_verbose,
    default_db_path,
    explain,
    fail,
    port_value,
    stop_on_signals,
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "server",
        help="run the local cloud (Hologram protocol on TCP, stored in SQLite)",
        description="Run the local cloud in the foreground until Ctrl-C or SIGTERM. "
        "Prints 'listening on HOST:PORT' once it accepts connections (--port 0 picks "
        "a free port).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    parser.add_argument("--port", "-p", type=port_value, default=9999, help="port (default 9999)")
    parser.add_argument("--db", help=f"SQLite database (default {default_db_path()})")
    parser.add_argument(
        "--devices", help="HJSON file of accepted devices (default: accept any, register them)"
    )
    add_verbose(parser, subcommand=True)
    parser.set_defaults(func=run, prog=parser.prog)


def run(args: argparse.Namespace) -> int:
    """Serve until a signal. Returns the exit status."""
    from hologram_sdk.base.errors import HologramError
    from hologram_sdk.emulator.cloud import LocalCloud

    # The server's job is to show each request: its INFO lines always print.
    logging.getLogger("hologram_sdk.emulator").setLevel(logging.INFO)
    db = args.db or str(default_db_path())
    try:
        with stop_on_signals() as stop:
            try:
                cloud = LocalCloud(args.host, args.port, db=db, devices=args.devices)
                cloud.start()
            except (HologramError, OSError) as exc:
                raise explain(exc, args.host, args.port) from None
            with cloud:
                print(f"listening on {cloud.host}:{cloud.port}", flush=True)
                print(f"storing in {db}", flush=True)
                stop.wait()
    except CLIError as error:
        return fail(args.prog, error)
    return EXIT_OK
