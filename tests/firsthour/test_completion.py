"""`hologram completion bash|zsh`: the script, run by a real bash, completes from the
parser's own tree."""

import subprocess

import pytest

from tests.cli.util import HOLOGRAM, run


def complete(script, *words):
    """COMPREPLY for the command line ``words`` (the last one being completed)."""
    line = " ".join(f"'{w}'" for w in words)
    program = (f"{script}\nCOMP_WORDS=(hologram {line}); COMP_CWORD={len(words)}\n"
               "_hologram; printf '%s\\n' \"${COMPREPLY[@]}\"")
    done = subprocess.run(["bash", "--norc", "-c", program], capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@pytest.fixture(scope="module")
def bash_script(tmp_path_factory):
    from tests.cli.util import clean_env

    done = run([*HOLOGRAM, "completion", "bash"], clean_env(tmp_path_factory.mktemp("c")))
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_bash_completes_commands_actions_and_options(bash_script):
    assert complete(bash_script, "net") == ["network"]
    assert set(complete(bash_script, "")) >= {"send", "sms", "outbox", "completion"}
    assert complete(bash_script, "network", "st") == ["status"]
    assert complete(bash_script, "network", "--interface", "x", "s") == ["status"]
    assert "--raw" in complete(bash_script, "send", "--r")
    assert complete(bash_script, "outbox", "fl") == ["flush"]
    assert complete(bash_script, "completion", "z") == ["zsh"]


def test_zsh_script_loads_bashcompinit(env):
    done = run([*HOLOGRAM, "completion", "zsh"], env)
    assert done.returncode == 0
    assert done.stdout.startswith("autoload -U +X bashcompinit && bashcompinit\n")
    assert "complete -o default -F _hologram hologram" in done.stdout
