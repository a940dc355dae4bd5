"""The layer rules of docs/ARCHITECTURE.md, checked on every import of every module.

Bottom up: base < wire < transport < modem < network < outbox < cloud < compat
< emulator < cli. A module imports only its own layer and the ones below, so
the library (everything up to compat) never imports ``emulator/`` or ``cli/``.
Every import counts: module level, inside functions, under ``TYPE_CHECKING``.
A failure names the file, the line and the import that breaks a rule.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Optional

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "hologram_sdk"

#: bottom up; a module of layer i may import layers 0..i
LAYERS = ("base", "wire", "transport", "modem", "network", "outbox", "cloud", "compat",
          "emulator", "cli")
RANK = {name: rank for rank, name in enumerate(LAYERS)}
LIBRARY_TOP = RANK["compat"]

#: modules outside the layer folders, and the layer each belongs to
LOOSE = {
    PACKAGE: "base",  # the package itself: __version__ and lazy names only
    f"{PACKAGE}.errors": "base",  # documented path, re-exports base/errors
    f"{PACKAGE}.config": "base",  # documented path, re-exports base/config
    f"{PACKAGE}.demo": "cli",  # the runnable demo: local cloud + CLI tables
    f"{PACKAGE}.__main__": "cli",
    # the 0.10 face: Hologram/, Exceptions/, UtilClasses/ re-export compat and the library
    "Hologram": "compat",
    "Exceptions": "compat",
    "UtilClasses": "compat",
}
FACES = ("Hologram", "Exceptions", "UtilClasses")


def layer_of(module: str) -> Optional[str]:
    """The layer of a dotted module name; None for anything outside the SDK."""
    parts = module.split(".")
    if parts[0] in FACES:
        return LOOSE[parts[0]]
    if parts[0] != PACKAGE:
        return None
    if len(parts) > 1 and parts[1] in RANK:
        return parts[1]
    key = ".".join(parts[:2])
    if key in LOOSE:
        return LOOSE[key]
    raise AssertionError(f"{module} is in no layer: add its folder to LAYERS or LOOSE")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_in(source: str, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    """(line, module) of every import in ``source`` (of ``module``), relative ones resolved."""
    package = module if is_package else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            # ``from hologram_sdk import cloud``: the names may be modules
            found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names
                      if target == PACKAGE and alias.name in RANK]
    return found


def violations(source: str, module: str, label: str, is_package: bool = False) -> list[str]:
    """One line per import of ``module`` that goes upward: where, what, and which rule."""
    own = layer_of(module)
    assert own is not None
    found = []
    for line, target in imports_in(source, module, is_package):
        theirs = layer_of(target)
        if theirs is None or RANK[theirs] <= RANK[own]:
            continue
        why = (f"the library never imports {theirs}/" if RANK[own] <= LIBRARY_TOP
               and RANK[theirs] > LIBRARY_TOP else f"{own} is below {theirs}")
        found.append(f"{label}:{line}: {module} imports {target} ({why})")
    return found


def sources() -> list[Path]:
    return sorted(path for top in (PACKAGE, *FACES) for path in (ROOT / top).rglob("*.py"))


def test_every_module_has_a_layer():
    for path in sources():
        assert layer_of(module_name(path)) is not None


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_go_only_downward(path):
    found = violations(path.read_text(encoding="utf-8"), module_name(path),
                       str(path.relative_to(ROOT)), path.name == "__init__.py")
    assert not found, "layer rule broken:\n" + "\n".join(found)


@pytest.mark.parametrize(("module", "source", "expected"), [
    ("hologram_sdk.modem.at",
     "def f():\n    from hologram_sdk.emulator.modem import open_sim_port\n",
     "x.py:2: hologram_sdk.modem.at imports hologram_sdk.emulator.modem "
     "(the library never imports emulator/)"),
    ("hologram_sdk.base.config", "if True:\n    from ..wire import protocol\n",
     "x.py:2: hologram_sdk.base.config imports hologram_sdk.wire (base is below wire)"),
    ("hologram_sdk.outbox.sender", "import hologram_sdk.cloud.base\n",
     "x.py:1: hologram_sdk.outbox.sender imports hologram_sdk.cloud.base (outbox is below cloud)"),
    ("hologram_sdk.cloud.base", "from hologram_sdk import cli\n",
     "x.py:1: hologram_sdk.cloud.base imports hologram_sdk.cli "
     "(the library never imports cli/)"),
])
def test_an_upward_import_is_named(module, source, expected):
    assert violations(source, module, "x.py") == [expected]


def test_downward_and_outside_imports_pass():
    source = ("import json\nfrom hologram_sdk.base.errors import HologramError\n"
              "from . import tcp\n")
    assert violations(source, "hologram_sdk.transport.listener", "x.py") == []


def test_the_architecture_drawing_matches_the_tree_and_these_rules():
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    drawing = text.split("```")[1]
    drawn = [line.split()[0].rstrip("/") for line in drawing.splitlines()
             if line.strip() and line.split()[0].endswith("/")]
    assert drawn == list(reversed(LAYERS))  # drawn top down
    folders = {p.name for p in (ROOT / PACKAGE).iterdir()
               if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == set(LAYERS)
    for folder in folders:
        assert f"**{folder}/**" in text, f"docs/ARCHITECTURE.md does not describe {folder}/"
