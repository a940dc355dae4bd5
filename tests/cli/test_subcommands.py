"""Every listed subcommand is there: a missing module fails loudly, never silently."""

import argparse

import pytest

from hologram_sdk import cli


def _registered(parser: argparse.ArgumentParser) -> set:
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return set(actions[0].choices)


def test_every_listed_subcommand_registers_itself():
    assert _registered(cli.build_parser()) >= set(cli.SUBCOMMANDS)


def test_a_missing_subcommand_module_is_an_import_error():
    with pytest.raises(ModuleNotFoundError, match="no_such_subcommand"):
        cli.build_parser((*cli.SUBCOMMANDS, "no_such_subcommand"))
