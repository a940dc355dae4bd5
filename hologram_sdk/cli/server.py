"""``hologram server``: run the local cloud (a gateway) in the foreground, logging each request."""

from __future__ import annotations

import argparse
import logging
import os
import threading
import time
from typing import Callable

from hologram_sdk.cli.common import (
    EXIT_OK,
    EXIT_USAGE,
    CLIError,
    add_verbose,
    default_db_path,
    explain,
    fail,
    port_value,
    positive_timeout,
    stop_on_signals,
    typed_path,
)

#: seconds between the route lines ``hologram server`` prints while something changes
STATUS_INTERVAL = 5.0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "server",
        help="run the local cloud (Hologram protocol on TCP, stored in SQLite)",
        description="Run the local cloud in the foreground until Ctrl-C or SIGTERM. "
        "Prints 'listening on HOST:PORT' once it accepts connections (--port 0 picks "
        "a free port). With --route every stored message is also forwarded (MQTT broker "
        "or webhook); with --http a REST API is served.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    parser.add_argument("--port", "-p", type=port_value, default=9999, help="port (default 9999)")
    parser.add_argument("--db", help=f"SQLite database (default {default_db_path()})")
    parser.add_argument(
        "--devices", help="HJSON file of accepted devices (default: accept any, register them)"
    )
    parser.add_argument(
        "--name",
        default="local",
        help="this gateway's name, unique among gateways sharing a broker (default 'local')",
    )
    parser.add_argument(
        "--route",
        action="append",
        default=[],
        metavar="URL",
        help="forward every message: mqtt://[user[:pass]@]HOST:PORT[/PREFIX], mqtts://... "
        "(?ca=FILE), or a webhook http(s)://HOST/PATH (repeatable). Broker credentials "
        "also from $HOLOGRAM_MQTT_USERNAME / $HOLOGRAM_MQTT_PASSWORD",
    )
    parser.add_argument(
        "--http", type=port_value, metavar="PORT", help="serve the REST API on this port"
    )
    parser.add_argument(
        "--http-host", default="127.0.0.1", help="address of the REST API (default 127.0.0.1)"
    )
    parser.add_argument(
        "--api-key",
        help="the REST API's key, required with --http (better: $HOLOGRAM_API_KEY, which "
        "other users cannot read in the process list)",
    )
    parser.add_argument(
        "--to-device-ttl",
        type=positive_timeout,
        default=24 * 3600.0,
        metavar="SECONDS",
        help="how long a cloud-to-device message may wait for its device (default 1 day)",
    )
    parser.add_argument(
        "--registration-rate",
        type=_count(float),
        default=600.0,
        metavar="N",
        help="without --devices: new devices one address may register per minute "
        "(and at once); over it they are answered 6, try later (default 600; 0: no limit)",
    )
    parser.add_argument(
        "--max-devices",
        type=_count(int),
        default=100_000,
        metavar="N",
        help="without --devices: devices registered in all; past it new ones are "
        "answered 3 (default 100000; 0: no cap)",
    )
    parser.add_argument(
        "--quiet", "-q", action="store_true", help="do not log each request (state changes only)"
    )
    add_verbose(parser, subcommand=True)
    parser.set_defaults(func=run, prog=parser.prog)


def _count(kind: Callable[[str], float]) -> Callable[[str], float]:
    """An argparse type: a finite number >= 0 of ``kind``."""

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not 0 <= value < float("inf"):
            raise argparse.ArgumentTypeError(f"must be a finite number >= 0, not {text!r}")
        return value

    return parse


def run(args: argparse.Namespace) -> int:
    """Serve until a signal. Returns the exit status."""
    from hologram_sdk.base.errors import ConfigurationError, HologramError
    from hologram_sdk.emulator.cloud.gateway import Gateway
    from hologram_sdk.emulator.cloud.web.app import ENV_API_KEY

    # The server's job is to show each request: its INFO lines always print.
    logging.getLogger("hologram_sdk.emulator").setLevel(
        logging.WARNING if args.quiet else logging.INFO
    )
    if args.quiet:  # route state changes are still told
        logging.getLogger("hologram_sdk.emulator.cloud.Gateway").setLevel(logging.INFO)
    api_key = args.api_key or os.environ.get(ENV_API_KEY) or None
    try:
        db = typed_path(args.db, default_db_path())
        try:
            gateway = Gateway(
                name=args.name,
                host=args.host,
                port=args.port,
                db=db,
                devices=args.devices,
                routes=tuple(args.route),
                http_host=args.http_host,
                http_port=args.http,
                api_key=api_key,
                to_device_ttl=args.to_device_ttl,
                registration_rate=args.registration_rate,
                max_devices=args.max_devices,
            )
        except ConfigurationError as exc:
            raise CLIError(str(exc), EXIT_USAGE) from None
        with stop_on_signals() as stop:
            try:
                gateway.start()
            except (HologramError, OSError) as exc:
                raise explain(exc, args.host, args.port) from None
            with gateway:
                print(f"listening on {gateway.cloud.host}:{gateway.cloud.port}", flush=True)
                print(f"storing in {db}", flush=True)
                print(f"gateway {gateway.name}", flush=True)
                if gateway.http_url:
                    print(f"REST API on {gateway.http_url}/api/1/", flush=True)
                if gateway.dashboard is not None:
                    print(f"dashboard on {gateway.http_url}/ (log in with the API key)", flush=True)
                for forwarder in gateway.forwarders:  # a moment to connect first
                    deadline = time.monotonic() + 2.0
                    while not forwarder.up and time.monotonic() < deadline and not stop.is_set():
                        stop.wait(0.05)
                show_routes(gateway, stop)
    except CLIError as error:
        return fail(args.prog, error)
    return EXIT_OK


def show_routes(gateway: object, stop: threading.Event) -> None:
    """Print each route's state and backlog now, then whenever it changes, until ``stop``."""
    from hologram_sdk.emulator.cloud.gateway import Gateway

    assert isinstance(gateway, Gateway)
    last: dict[str, tuple[object, ...]] = {}
    while True:
        for status in gateway.route_status():
            line = (status.up, status.pending, status.failed)
            if last.get(status.name) != line:
                last[status.name] = line
                state = "up" if status.up else f"down ({status.reason or 'connecting'})"
                print(
                    f"route {status.name}: {state}, backlog {status.pending}, "
                    f"forwarded {status.forwarded}, failed {status.failed}",
                    flush=True,
                )
        if stop.wait(STATUS_INTERVAL if gateway.forwarders else None):
            return
