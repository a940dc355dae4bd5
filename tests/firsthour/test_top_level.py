"""Issue 14, item 9: `hologram --version` works; bare `hologram` lists the commands."""

import re

from hologram_sdk import __version__
from hologram_sdk.cli import SUBCOMMANDS
from tests.cli.util import HOLOGRAM, run


def test_version(env):
    done = run([*HOLOGRAM, "--version"], env)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == f"Hologram Python SDK version {__version__}\n"


def test_bare_hologram_lists_every_command_with_a_line(env):
    done = run(HOLOGRAM, env)
    assert done.returncode == 2 and done.stderr == ""
    for name in SUBCOMMANDS:
        assert re.search(rf"^    {name} +\S", done.stdout, re.M), name
