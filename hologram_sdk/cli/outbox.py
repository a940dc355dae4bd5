"""``hologram outbox``: list, deliver, clear, inspect or recover the durable outbox's messages.

``recover FILE`` reads what is still readable in a damaged outbox file
(:func:`hologram_sdk.outbox.salvage.salvage`: page by page, so one damaged
page loses only its own rows) and puts those messages back in the queue
(``--db``, default the outbox). FILE may be the outbox itself: it is then
moved aside first (``FILE.damaged-<UTC time>``) and a fresh outbox started.
Rows already waiting in the queue (same destination, time and bytes) are not
added twice, so running it again does no harm. Exit status: 0 every waiting
message the file accounts for was recovered; 1 some were unreadable (the
line says how many), or pages are damaged and the file's own count is lost
too (so nobody can tell), or the queue could not be written; 2 no FILE, or
FILE does not exist.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Optional, TextIO

from hologram_sdk.base.errors import HologramError, OutboxCorruptError
from hologram_sdk.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    CLIError,
    add_json,
    add_verbose,
    fail,
    positive_timeout,
    typed_path,
)
from hologram_sdk.cli.tables import local_time, printable, table, topics_cell
from hologram_sdk.outbox import Outbox, OutboxItem, default_path
from hologram_sdk.outbox.delivery import FlushResult, OutboxDelivery, tcp_sender
from hologram_sdk.outbox.salvage import directory_lock, move_aside, read_file, salvage

ACTIONS = ("list", "flush", "clear", "dead", "recover")
TEXT_WIDTH = 40
#: Queues at least this long get a progress bar on stderr while flushing.
PROGRESS_MIN = 100
BAR_WIDTH = 30


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "outbox",
        help="list, deliver or clear messages waiting in the outbox",
        description="The durable outbox keeps messages that could not be sent yet. "
        "list: what waits (default); flush: deliver it now, oldest first, to the cloud "
        "each message was meant for; clear: delete everything waiting and the dead "
        "letters; dead: messages the cloud refused for good; recover FILE: put the "
        "readable messages of a damaged outbox file back in the queue (exit 0 all "
        "recovered, 1 some unreadable, 2 no such FILE).",
    )
    parser.add_argument("action", nargs="?", choices=ACTIONS, default="list")
    parser.add_argument("file", nargs="?", help="recover: the damaged outbox file to read")
    parser.add_argument("--db", help=f"outbox database (default {default_path()})")
    parser.add_argument(
        "--timeout",
        type=positive_timeout,
        default=5.0,
        help="seconds per message when flushing (5)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar while flushing")
    add_json(parser, "the result (list, dead, clear, flush)")
    add_verbose(parser, subcommand=True)
    parser.set_defaults(func=run, prog=parser.prog)


PENDING_HEADERS = ("ID", "CREATED", "DESTINATION", "KIND", "TRIES", "TOPICS", "TEXT", "LAST ERROR")
DEAD_HEADERS = ("ID", "FAILED", "DESTINATION", "KIND", "CODE", "TOPICS", "TEXT")


def pending_row(item: OutboxItem) -> list[str]:
    return [
        str(item.id),
        local_time(item.created),
        item.destination,
        item.kind,
        str(item.attempts),
        topics_cell(item.topics),
        printable(item.display_text, TEXT_WIDTH),
        printable(item.last_error or "-", 50),
    ]


def dead_row(item: OutboxItem) -> list[str]:
    return [
        str(item.id),
        local_time(item.failed_at),
        item.destination,
        item.kind,
        str(item.code),
        topics_cell(item.topics),
        printable(item.display_text, TEXT_WIDTH),
    ]


class ProgressBar:
    """A one-line text bar redrawn with ``\\r`` (only when the step shows)."""

    def __init__(self, total: int, label: str, stream: TextIO) -> None:
        self.total = max(total, 1)
        self.label = label
        self.stream = stream
        self._shown = -1

    def update(self, done: int) -> None:
        filled = min(BAR_WIDTH, done * BAR_WIDTH // self.total)
        percent = min(100, done * 100 // self.total)
        if percent == self._shown:
            return
        self._shown = percent
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        self.stream.write(f"\r{self.label} [{bar}] {done}/{self.total} {percent:3d}%")
        self.stream.flush()

    def finish(self) -> None:
        if self._shown >= 0:
            self.stream.write("\n")
            self.stream.flush()


def item_json(item: OutboxItem) -> dict[str, object]:
    """What --json shows of a row (never its request bytes: they hold credentials)."""
    data: dict[str, object] = {
        "id": item.id, "created": item.created, "destination": item.destination,
        "kind": item.kind, "attempts": item.attempts, "topics": list(item.topics),
        "text": item.display_text, "last_error": item.last_error,
    }
    if item.code is not None:
        data.update(code=item.code, failed_at=item.failed_at)
    return data


def flush_all(box: Outbox, timeout: float, progress: bool, as_json: bool = False) -> int:
    """Deliver every destination's queue; print one line each. Returns the exit status."""
    destinations = box.destinations()
    if not destinations:
        print(json.dumps({"destinations": []}) if as_json else "nothing to deliver")
        return EXIT_OK
    status = EXIT_OK
    report: list[dict[str, object]] = []
    for destination in destinations:
        total = box.count(destination)
        show = progress and total >= PROGRESS_MIN
        bar = ProgressBar(total, destination, sys.stderr) if show else None

        def step(result: FlushResult, bar: Optional[ProgressBar] = bar) -> None:
            if bar is not None:
                bar.update(result.done)

        with OutboxDelivery(box, tcp_sender(timeout), destination) as delivery:
            result = delivery.flush_now(progress=step)
        if bar is not None:
            bar.finish()
        line = f"{destination}: {result.sent} sent, {result.failed} refused (see 'dead')"
        left = box.count(destination)
        if result.error is not None:
            line += f"; stopped: {result.error}; {left} still waiting"
            status = EXIT_FAILED
        report.append({"destination": destination, "sent": result.sent,
                       "refused": result.failed, "waiting": left,
                       "error": None if result.error is None else str(result.error)})
        if not as_json:
            print(line)
    if as_json:
        print(json.dumps({"destinations": report}))
    return status


def run(args: argparse.Namespace) -> int:
    """Carry out ``args.action`` on the outbox. Returns the exit status."""
    try:
        path = typed_path(args.db, default_path())
    except CLIError as error:
        return fail(args.prog, error)
    if args.action == "recover":
        return recover(args, path)
    if args.file is not None:
        return fail(args.prog, CLIError(f"a FILE goes with 'recover' only, not with "
                                        f"'{args.action}'", EXIT_USAGE))
    if not os.path.exists(path):
        if args.json:
            print(json.dumps({"path": path, "exists": False}))
        else:
            print(f"no outbox at {path}: nothing queued")
        return EXIT_OK
    try:
        with Outbox(path) as box:
            if args.json and args.action != "flush":
                print(json.dumps(_as_json(box, args.action, path)))
            elif args.action == "list":
                items = box.pending()
                if items:
                    print("\n".join(table(PENDING_HEADERS, [pending_row(i) for i in items])))
                print(f"{len(items)} waiting ({box.stored_bytes()} bytes) in {path}")
            elif args.action == "dead":
                dead = box.dead()
                if dead:
                    print("\n".join(table(DEAD_HEADERS, [dead_row(i) for i in dead])))
                print(f"{len(dead)} dead letters in {path}")
            elif args.action == "clear":
                waiting, dead_count = box.clear(), box.clear_dead()
                print(f"removed {waiting} waiting messages and {dead_count} dead letters")
            else:
                return flush_all(box, args.timeout, not args.no_progress, args.json)
    except OutboxCorruptError as exc:
        return fail(args.prog, CLIError(
            f"{exc}; salvage its messages with: hologram outbox recover {path}"))
    except HologramError as exc:
        return fail(args.prog, CLIError(str(exc)))
    except BrokenPipeError:  # e.g. `hologram outbox | head`: the reader left
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return EXIT_OK


def recover(args: argparse.Namespace, path: str) -> int:
    """``hologram outbox recover FILE``: salvage FILE's readable rows into the queue."""
    if args.file is None:
        return fail(args.prog, CLIError("recover needs the damaged FILE to read", EXIT_USAGE))
    source = Path(args.file)
    if not source.is_file():
        return fail(args.prog, CLIError(f"{source}: no such file", EXIT_USAGE))
    notes = []
    try:
        if os.path.exists(path) and os.path.samefile(source, path):
            with directory_lock(source.resolve().parent):
                moved = move_aside(source)
            if moved is not None:
                notes.append(f"moved {source} aside to {moved}")
                source = moved
        data, wal = read_file(source)
    except (OSError, HologramError) as exc:
        return fail(args.prog, CLIError(f"cannot read {source}: {exc}"))
    found = salvage(data, wal)
    try:
        with Outbox(path) as box:
            known = {(i.destination, i.created, i.body) for i in box.pending()}
            fresh = [i for i in found.items if (i.destination, i.created, i.body) not in known]
            box.restore(fresh)
    except HologramError as exc:
        return fail(args.prog, CLIError(f"cannot write the recovered messages to {path}: {exc}"))
    # no count survived and pages are damaged: some messages may be lost
    unknown = found.expected is None and found.damaged_pages > 0
    report = {"file": str(source), "outbox": path, "recovered": len(fresh),
              "already_queued": len(found.items) - len(fresh), "unreadable": found.missing,
              "damaged_pages": found.damaged_pages, "delivered_left_out": found.delivered}
    if args.json:
        print(json.dumps(report))
    else:
        for note in notes:
            print(note)
        line = (f"recovered {len(fresh)} messages from {source} into {path}; "
                f"{found.missing} unreadable")
        if found.damaged_pages:
            line += f" ({found.damaged_pages} damaged pages"
            line += "; how many messages they held is unknown)" if unknown else ")"
        if len(found.items) > len(fresh):
            line += f"; {len(found.items) - len(fresh)} were queued already"
        print(line)
    return EXIT_FAILED if found.missing or unknown else EXIT_OK


def _as_json(box: Outbox, action: str, path: str) -> dict[str, object]:
    """``list``, ``dead`` and ``clear`` as one JSON object."""
    if action == "list":
        items = box.pending()
        return {"path": path, "waiting": len(items), "bytes": box.stored_bytes(),
                "items": [item_json(i) for i in items]}
    if action == "dead":
        dead = box.dead()
        return {"path": path, "dead": len(dead), "items": [item_json(i) for i in dead]}
    waiting, dead_count = box.clear(), box.clear_dead()
    return {"path": path, "removed": waiting, "dead_removed": dead_count}
