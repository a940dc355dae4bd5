"""``hologram activate`` (hologram-python 0.10): activate this device's SIM on a plan
through the Hologram REST API (:class:`hologram_sdk.compat.api.Api`)."""

from __future__ import annotations

import argparse
import getpass
import time
from typing import Any

from hologram_sdk.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CLIError, fail
from hologram_sdk.cli.receive import add_modem_arguments, cloud_on_modem

#: how long, and how often, the SIM's state is checked after activation
LIVE_WAIT, LIVE_POLL = 120.0, 5.0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "activate",
        help="activate the SIM on a plan through the REST API (0.10)",
        description="Read the SIM's ICCID from the modem (or --iccid), list the plans, "
        "ask for a plan and zone, confirm the price, activate and wait for LIVE.",
    )
    parser.add_argument("--apikey", help="organization API key (else a user name and password"
                        " are asked for)")
    parser.add_argument("--iccid", help="the SIM's ICCID (default: read from the modem)")
    parser.add_argument("--api-url", default=None, help="the REST API's base URL")
    parser.add_argument("--live-wait", type=float, default=LIVE_WAIT, help=argparse.SUPPRESS)
    add_modem_arguments(parser)
    parser.set_defaults(func=run, prog=parser.prog)


def run(args: argparse.Namespace) -> int:
    try:
        return _activate(args)
    except CLIError as error:
        return fail(args.prog, error)
    except EOFError:
        return fail(args.prog, CLIError("no answer on standard input", EXIT_USAGE))


def _iccid(args: argparse.Namespace) -> str:
    if args.iccid:
        return str(args.iccid)
    with cloud_on_modem(args) as cloud:
        modem = cloud.network.modem
        try:
            iccid = modem.iccid
        finally:
            if args.device:
                modem.close()
    if not iccid:
        raise CLIError("Failed to fetch SIM number from the modem", EXIT_FAILED)
    return str(iccid)


def _zones(plan: dict[str, Any]) -> dict[str, Any]:
    return dict(plan.get("tiers", {}).get("BASE", {}).get("zones", {}))


def _activate(args: argparse.Namespace) -> int:
    from hologram_sdk.base.errors import HologramError
    from hologram_sdk.compat.api import HOLOGRAM_REST_API_BASEURL, Api

    iccid = _iccid(args)
    if args.apikey:
        credentials = {"apikey": args.apikey}
    else:
        credentials = {"username": input("Please enter your Hologram username: "),
                       "password": getpass.getpass("Please enter your Hologram password: ")}
    try:
        api = Api(base_url=args.api_url or HOLOGRAM_REST_API_BASEURL, **credentials)
        ok, plans = api.getPlans()
        if not ok:
            raise CLIError("Failed to fetch plans", EXIT_FAILED)
        usable = {p["id"]: p for p in plans or []
                  if p.get("available") or p.get("data") == 0}
        if not usable:
            raise CLIError("no plan available for activation", EXIT_FAILED)
        print("Available plans:")
        for plan in usable.values():
            print(f"  Plan ID #{plan['id']}: {plan.get('name', '')}")
        plan_id = None
        while plan_id not in usable:
            answer = input("Choose the plan id for this device: ").strip()
            plan_id = int(answer) if answer.isdigit() else None
            if plan_id not in usable:
                print("Error: Invalid plan id")
        zones = _zones(usable[plan_id])
        zone: Any = next(iter(zones), 1)
        if len(zones) > 1:
            zone = None
            while zone not in zones:
                zone = input(f"Choose the zone for this device ({', '.join(zones)}): ").strip()
        ok, preview = api.activateSIM(iccid, plan=plan_id, zone=zone, preview=True)
        if not ok:
            raise CLIError(f"Activation verification failed: {preview}", EXIT_FAILED)
        cost = float(preview.get("total_cost", 0)) if isinstance(preview, dict) else 0.0
        name = usable[plan_id].get("name", plan_id)
        if input(f"Activate SIM #{iccid} on {name} Zone {zone} for ${cost:.2f} (y/N)? ") != "y":
            print("Not activated")
            return EXIT_OK
        ok, response = api.activateSIM(iccid, plan=plan_id, zone=zone)
        if not ok:
            raise CLIError(f"Activation failed: {response}", EXIT_FAILED)
        print("Activating SIM... (this may take up to a few minutes)", flush=True)
        deadline = time.monotonic() + args.live_wait
        state = None
        while True:
            _, state = api.getSIMState(iccid)
            if state == "LIVE" or time.monotonic() >= deadline:
                break
            time.sleep(min(LIVE_POLL, max(0.0, deadline - time.monotonic())))
    except HologramError as exc:
        raise CLIError(str(exc), EXIT_FAILED) from None
    if state != "LIVE":
        print("SIM is still not activated: check its state on the Hologram Dashboard soon")
        return EXIT_FAILED
    print("Activation successful!")
    return EXIT_OK
