"""``hologram config show``: the credentials the CLI would use, where each came from.

Sources, highest first: flags, environment, ``-f FILE``, the config file at
``$XDG_CONFIG_HOME/hologram/config.hjson`` (else ``~/.config/hologram/``).
Keys are never printed: ``cloud_key`` and ``devicekey`` show as ``****``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from hologram_sdk.cli.common import EXIT_OK, EXIT_USAGE, add_credentials

#: fields shown in clear; the others are secrets
PUBLIC = ("cloud_id",)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "config",
        help="show the credentials the CLI would use and where each came from",
        description="Credentials come from the first source that has them: flags > "
        "environment (HOLOGRAM_CLOUD_ID, HOLOGRAM_CLOUD_KEY, HOLOGRAM_DEVICEKEY) > -f FILE "
        "> the config file ($XDG_CONFIG_HOME/hologram/config.hjson, HJSON like the -f file).",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    show = actions.add_parser("show", help="each value, masked if secret, and its source")
    add_credentials(show)
    show.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run, prog=parser.prog)


def mask(field: str, value: str) -> str:
    return value if field in PUBLIC else "****"


def run(args: argparse.Namespace) -> int:
    from hologram_sdk.base.config import ENVIRONMENT, FIELDS, config_path, credential_sources
    from hologram_sdk.base.errors import HologramError

    path = config_path(os.environ)
    flags = {k: getattr(args, k, None) for k in FIELDS}
    try:
        sources = credential_sources(flags, os.environ, args.file or None, path)
    except HologramError as exc:
        print(f"{args.prog}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    shown: dict[str, object] = {}
    for field in FIELDS:
        where = next(((label, found[field]) for label, found in sources if field in found), None)
        if where is None:
            shown[field] = None
            continue
        label = where[0]
        if label == "environment":
            label = f"environment {ENVIRONMENT[field]}"
        elif label == "flag":
            label = f"flag --{field}"
        shown[field] = {"value": mask(field, where[1]), "source": label}
    exists = os.path.exists(path)
    if args.json:
        print(json.dumps({"config_file": path, "config_file_exists": exists, **shown}))
        return EXIT_OK
    print(f"config file: {path}{'' if exists else ' (none)'}")
    for field, entry in shown.items():
        if isinstance(entry, dict):
            print(f"{field}: {entry['value']}  ({entry['source']})")
        else:
            print(f"{field}: -")
    return EXIT_OK
