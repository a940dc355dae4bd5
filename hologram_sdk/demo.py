"""``make demo``: the SDK's main job end to end on loopback, against the local cloud.

Starts a ``LocalCloud`` on a free port with a temporary database, sends a
message with topics and an SMS through the Python API and through the CLI,
pushes a cloud-to-device message to a listening ``CustomCloud``, prints what
the cloud stored and what the device received, serves the web dashboard for a
moment (its address and a one-time API key are printed), and stops everything.
``--live`` (``make demo-live``) keeps the cloud and the dashboard running until
Ctrl-C, so the page can be opened.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shlex
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence

from hologram_sdk.cli import whole_lines
from hologram_sdk.cli.messages import render
from hologram_sdk.cloud.custom import CustomCloud
from hologram_sdk.cloud.hologram import HologramCloud
from hologram_sdk.emulator.cloud import LocalCloud
from hologram_sdk.emulator.dashboard.app import open_dashboard, web_server

#: Invented credentials: the local cloud registers any device on first contact.
CREDENTIALS = {"cloud_id": "d3mo", "cloud_key": "k3y5"}
#: The CLI part's device: the reference's placeholder pair, printed so that the
#: lines run as shown (this local cloud takes any well-formed credentials; for
#: the real cloud put your device's own in their place).
CLI_CREDENTIALS = {"cloud_id": "xxxx", "cloud_key": "xxxx"}
HOST = "127.0.0.1"


def free_port(host: str = HOST) -> int:
    """A TCP port that was free a moment ago (for the device's inbound listener)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def run_cli(args: Sequence[str], env: dict[str, str]) -> str:
    """Run ``python -m hologram_sdk ARGS`` for real; return its output, raise on failure."""
    result = subprocess.run(
        [sys.executable, "-m", "hologram_sdk", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if result.returncode != 0:
        error = result.stderr.strip()
        raise RuntimeError(f"hologram {args[0]} exited {result.returncode}: {error}")
    return result.stdout.strip()


def serve_dashboard(db: str, live: bool) -> None:
    """Serve the dashboard over ``db``; with ``live``, until Ctrl-C or SIGTERM."""
    from hologram_sdk.cli.common import stop_on_signals

    # A throwaway key for this run (or the one in HOLOGRAM_API_KEY, never printed).
    given = os.environ.get("HOLOGRAM_API_KEY")
    key = given or secrets.token_urlsafe(12)
    with (
        open_dashboard(db, key) as dashboard,
        web_server(dashboard, host=HOST) as web,
    ):
        shown = "the key in HOLOGRAM_API_KEY" if given else f"the demo's one-time key {key}"
        print(f"\nDashboard: {web.url}/ (log in with {shown})")
        if not live:
            print("  (make demo-live keeps it running so you can open it)")
            return
        print("  running until Ctrl-C ...", flush=True)
        with stop_on_signals() as stop:
            stop.wait()


def main(argv: Sequence[str] = ()) -> int:
    whole_lines(sys.stdout, sys.stderr)  # its lines stay whole beside library warnings
    parser = argparse.ArgumentParser(prog="python -m hologram_sdk.demo")
    parser.add_argument(
        "--live", action="store_true", help="keep the cloud and the dashboard running"
    )
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="hologram-demo-") as tmp:
        db = os.path.join(tmp, "localcloud.db")
        with LocalCloud(HOST, 0, db=db) as cloud:
            print(f"Local cloud listening on {HOST}:{cloud.port} (database {db})")

            print("\nPython API: HologramCloud pointed at the local cloud")
            sender = HologramCloud(
                CREDENTIALS, enable_inbound=False, send_host=HOST, send_port=cloud.port
            )
            try:
                code = sender.sendMessage("21.5", topics=["TEMP", "KITCHEN"])
                print(f"  sendMessage('21.5', topics=['TEMP', 'KITCHEN']) -> {code} ({code.name})")
                code = sender.sendSMS("+15551234567", "Hello from Python")
                print(f"  sendSMS('+15551234567', 'Hello from Python') -> {code} ({code.name})")
            finally:
                sender.close()

            print("\nCLI: real `python -m hologram_sdk` processes, credentials in the environment")
            env = dict(os.environ)
            env["HOLOGRAM_CLOUD_ID"] = CLI_CREDENTIALS["cloud_id"]
            env["HOLOGRAM_CLOUD_KEY"] = CLI_CREDENTIALS["cloud_key"]
            target = ["--host", HOST, "--port", str(cloud.port)]
            # Copy-pasteable (with make demo-live): the variables the CLI reads.
            print(
                f"  $ export HOLOGRAM_CLOUD_ID={CLI_CREDENTIALS['cloud_id']} "
                f"HOLOGRAM_CLOUD_KEY={CLI_CREDENTIALS['cloud_key']}"
            )
            for args in (
                ["send", "hello from the CLI", "-t", "CLI", *target],
                ["sms", "--destination", "+15551234567", "Hello from the CLI", *target],
            ):
                print(f"  $ hologram {shlex.join(args)}")
                print(f"  {run_cli(args, env)}")

            print("\nCloud to device: LocalCloud.push() to a CustomCloud listening on loopback")
            port = free_port()
            arrived = threading.Event()
            device = CustomCloud(None, receive_host=HOST, receive_port=port, enable_inbound=True)
            try:
                device.event.subscribe("message.received", arrived.set)
                cloud.push(HOST, port, "turn the fan on")
                if not arrived.wait(5.0):
                    raise RuntimeError("the device did not receive the pushed message")
                print(f"  the device received: {device.popReceivedMessage()!r}")
            finally:
                device.close()

            print(f"\nWhat the local cloud stored (hologram messages --db {db}):")
            for line in render(cloud.messages(), cloud.sms()):
                print(f"  {line}" if line else "")

            serve_dashboard(db, options.live)
        print("\nStopped the local cloud and the device; removed the database.")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Exception as exc:  # a demo says what went wrong in one line
        print(f"demo failed: {exc}", file=sys.stderr)
        sys.exit(1)
