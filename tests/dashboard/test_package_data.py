"""The dashboard's page ships in the wheel (package data), ready to serve offline."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "hologram_sdk" / "emulator" / "dashboard" / "static"

BUILD = """
import sys
from setuptools import build_meta
print(build_meta.build_wheel(sys.argv[1]))
"""


def test_the_wheel_carries_every_static_file(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", BUILD, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    with zipfile.ZipFile(tmp_path / done.stdout.split()[-1]) as wheel:
        names = set(wheel.namelist())
    shipped = {f"hologram_sdk/emulator/dashboard/static/{p.name}" for p in STATIC.iterdir()}
    assert {"index.html", "dashboard.js", "chart.js", "dashboard.css"} <= {
        p.name for p in STATIC.iterdir()
    }
    assert shipped <= names, sorted(shipped - names)


def test_the_page_loads_nothing_from_elsewhere():
    """No CDN, no remote font: every reference in the page is to this server."""
    for path in STATIC.iterdir():
        if path.suffix in (".html", ".css", ".js"):
            text = path.read_text(encoding="utf-8")
            for url in re.findall(r"""(?:src|href)=["']([^"']+)["']""", text):
                assert url.startswith("/"), f"{path.name}: {url}"
            assert "http://" not in text.replace("http://www.w3.org/2000/svg", "")
            assert "https://" not in text
            assert "innerHTML" not in text and "insertAdjacentHTML" not in text
            assert "document.write" not in text and "eval(" not in text
