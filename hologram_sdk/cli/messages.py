"""``hologram messages``: what the local cloud stored, as a table or JSON lines."""

from __future__ import annotations

import argparse
import datetime
import json
from collections.abc import Sequence
from typing import Optional, Union

from hologram_sdk.cli.common import (
    EXIT_OK,
    CLIError,
    add_verbose,
    default_db_path,
    fail,
    stop_on_signals,
)
from hologram_sdk.cli.tables import local_time, printable, table, topics_cell
from hologram_sdk.emulator.cloud import CloudStore, StoredMessage, StoredSMS

Record = Union[StoredMessage, StoredSMS]
DATA_WIDTH = 40
_NO_CUT = 1 << 30  # escape control characters, keep the whole text (topics, names)
#: Column widths used by --follow, where later rows cannot be measured first.
FOLLOW_WIDTHS = (4, 19, 10, 16)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "messages",
        help="show what the local cloud stored",
        description="Show the messages and SMS the local cloud stored: a table, or JSON "
        "lines with --json. --follow keeps printing new ones until Ctrl-C. When the "
        "database has routes, each record shows whether it was forwarded.",
    )
    parser.add_argument("--db", help=f"SQLite database (default {default_db_path()})")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--follow", action="store_true", help="keep printing new records")
    parser.add_argument(
        "--limit",
        type=_positive,
        metavar="N",
        help="only the newest N messages and the newest N SMS (one page; default: all)",
    )
    parser.add_argument(
        "--before",
        type=_positive,
        metavar="ID",
        help="only records with an id below ID: with --limit, the next page back is "
        "--before the smallest id shown (messages and SMS have ids of their own)",
    )
    add_verbose(parser, subcommand=True)
    parser.set_defaults(func=run, prog=parser.prog)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def when(record: Record) -> str:
    return local_time(record.received)


def as_json(record: Record, routes: Optional[dict[str, tuple[str, str]]] = None) -> str:
    data = record.as_dict()
    if routes:
        data["routes"] = {name: {"state": s, "reason": why} for name, (s, why) in routes.items()}
    data["time"] = (
        datetime.datetime.fromtimestamp(record.received, datetime.timezone.utc)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )
    return json.dumps(data, ensure_ascii=False)


def cells(record: Record) -> list[str]:
    if isinstance(record, StoredMessage):
        return [
            str(record.id),
            when(record),
            printable(record.device, _NO_CUT),
            topics_cell(record.topics),
            printable(record.data, DATA_WIDTH),
        ]
    return [
        str(record.id),
        when(record),
        printable(record.device, _NO_CUT),
        printable(record.destination, _NO_CUT),
        printable(record.text, DATA_WIDTH),
    ]


MESSAGE_HEADERS = ("ID", "TIME", "DEVICE", "TOPICS", "DATA")
SMS_HEADERS = ("ID", "TIME", "DEVICE", "TO", "TEXT")


def forwarded(states: Optional[dict[str, tuple[str, str]]]) -> str:
    """One cell for a record's routes: ``yes``, ``pending``, ``failed: reason`` (``-``: none)."""
    if not states:
        return "-"
    values = list(states.values())
    failed = [why for state, why in values if state == "failed"]
    if failed:
        return printable(f"failed: {failed[0]}", 30)
    if any(state == "pending" for state, _ in values):
        return "pending"
    return "yes"


def render(
    messages: Sequence[StoredMessage],
    sms: Sequence[StoredSMS],
    routes: Optional[dict[tuple[str, int], dict[str, tuple[str, str]]]] = None,
) -> list[str]:
    """The tables ``hologram messages`` prints (also used by the demo). With
    ``routes`` (per record, see :func:`route_states`) a FORWARDED column is added."""
    lines: list[str] = []

    def rows(records: Sequence[Record], kind: str) -> list[list[str]]:
        out = [cells(r) for r in records]
        if routes is not None:
            for row, r in zip(out, records):
                row.insert(4, forwarded(routes.get((kind, r.id))))
        return out

    def heads(headers: Sequence[str]) -> Sequence[str]:
        return headers if routes is None else (*headers[:4], "FORWARDED", headers[4])

    if messages:
        lines += table(heads(MESSAGE_HEADERS), rows(messages, "message"))
    else:
        lines.append("no messages")
    if sms:
        lines += ["", "SMS:"]
        lines += table(heads(SMS_HEADERS), rows(sms, "sms"))
    return lines


def route_states(
    store: CloudStore, messages: Sequence[StoredMessage], sms: Sequence[StoredSMS]
) -> Optional[dict[tuple[str, int], dict[str, tuple[str, str]]]]:
    """Each record's state per route, or ``None`` when the database never had a route."""
    from hologram_sdk.emulator.cloud.ledger import Ledger

    ledger = Ledger(store)
    if not ledger.routes():
        return None
    out: dict[tuple[str, int], dict[str, tuple[str, str]]] = {}
    for kind, records in (("message", messages), ("sms", sms)):
        for row, states in ledger.states(kind, [r.id for r in records]).items():
            out[(kind, row)] = states
    return out


def follow_line(record: Record) -> str:
    row = cells(record)
    kind = "sms" if isinstance(record, StoredSMS) else "msg"
    parts = [row[0].rjust(FOLLOW_WIDTHS[0]), kind]
    parts += [cell.ljust(w) for cell, w in zip(row[1:4], FOLLOW_WIDTHS[1:])]
    parts.append(row[4])
    return "  ".join(parts).rstrip()


def run(args: argparse.Namespace) -> int:
    """Print the stored records (and follow). Returns the exit status."""
    from hologram_sdk.base.errors import HologramError

    if args.follow and args.before is not None:
        return fail(args.prog, CLIError("--follow prints new records: not with --before"))
    db = args.db or str(default_db_path())
    try:
        store = CloudStore(db, readonly=True)
    except HologramError as exc:
        return fail(args.prog, CLIError(str(exc)))
    with store:
        # keyset paging on the ids: a page costs the same at any depth of the table
        page = {"before": args.before, "limit": args.limit}
        messages, sms = store.messages(**page), store.sms(**page)
        routes = route_states(store, messages, sms)
        records: list[Record] = [*messages, *sms]
        records.sort(key=lambda r: r.received)
        if args.json:
            for record in records:
                states = routes.get((record.kind, record.id)) if routes else None
                print(as_json(record, states), flush=True)
        elif not args.follow:
            print("\n".join(render(messages, sms, routes)))
        else:
            for record in records:
                print(follow_line(record), flush=True)
        if args.follow:
            last_m = messages[-1].id if messages else 0
            last_s = sms[-1].id if sms else 0
            with stop_on_signals() as stop:
                for new in store.follow(
                    after_message=last_m, after_sms=last_s, interval=0.2, stop=stop
                ):
                    print(as_json(new) if args.json else follow_line(new), flush=True)
    return EXIT_OK
