"""``hologram version`` (hologram-python 0.10's subcommand; ``hologram --version`` too)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("version", help="print the SDK version")
    parser.set_defaults(func=run, prog=parser.prog)


def run(args: argparse.Namespace) -> int:
    from hologram_sdk.cli import version_text

    print(version_text())
    return 0
