"""Packaging: the metadata builds without a warning, and `make demo` installs
only what the package needs at run time."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BUILD = """
import sys
from setuptools import build_meta
print(build_meta.build_editable(sys.argv[1]))
"""


def test_the_editable_wheel_builds_without_any_warning(tmp_path):
    """What pip runs for `make demo` and `make test`, with every warning an
    error (a deprecated pyproject field, the editable-install notice)."""
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", BUILD, str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Warning" not in done.stderr, done.stderr[-3000:]
    wheel = tmp_path / done.stdout.split()[-1]
    with zipfile.ZipFile(wheel) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = zf.read(name).decode()
    headers = [line for line in metadata.splitlines() if ": " in line]
    assert "License-Expression: MIT" in headers
    runtime = sorted(h for h in headers if h.startswith("Requires-Dist: ") and "extra ==" not in h)
    assert runtime == ["Requires-Dist: hjson>=3.0", "Requires-Dist: pyserial>=3.4"]


def test_make_demo_installs_the_runtime_dependencies_only(tmp_path):
    """`make demo` on a fresh clone: no test or lint extra in what it installs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    done = subprocess.run(
        ["make", "-n", "demo", f"VENV={tmp_path / 'venv'}"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, env=env,
    )
    assert done.returncode == 0, done.stderr
    installs = [line for line in done.stdout.splitlines() if "pip install" in line]
    assert installs and installs[-1].endswith("pip install -q -e ."), done.stdout
    assert not any("[" in line for line in installs), installs
