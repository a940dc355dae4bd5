"""Every subcommand's --help ends with examples, and each example parses."""

import shlex

import pytest

from hologram_sdk.cli import SUBCOMMANDS, build_parser
from tests.cli.util import HOLOGRAM, run


def examples(help_text):
    assert "\nexamples:\n" in help_text
    block = help_text.split("\nexamples:\n", 1)[1]
    return [line.strip() for line in block.splitlines() if line.startswith("  hologram")
            or line.startswith("  sudo hologram") or line.startswith("  source <(hologram")]


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_help_has_examples_that_parse(name, env):
    done = run([*HOLOGRAM, name, "--help"], env)
    assert done.returncode == 0
    found = examples(done.stdout)
    assert found, done.stdout
    parser = build_parser()
    for line in found:
        words = shlex.split(line.split("<(", 1)[-1].rstrip(")"), comments=True)
        words = words[words.index("hologram") + 1:]
        args = parser.parse_args([w.rstrip(")") for w in words])
        assert args.command == name, line
