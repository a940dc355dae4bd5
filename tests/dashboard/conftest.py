"""Fixtures for the dashboard: a local cloud with its dashboard on loopback, and a real
headless Chromium driven by selenium (Debian's chromium and chromium-driver).

Without the browser (or selenium) the browser tests are left out with one line
saying what to install; as root (CI) a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import threading
import time

import pytest

from hologram_sdk.emulator.cloud import LocalCloud
from hologram_sdk.emulator.dashboard.app import Dashboard, web_server
from hologram_sdk.emulator.dashboard.auth import SessionAuth
from hologram_sdk.emulator.dashboard.queries import DashboardData

API_KEY = "test-api-key-0123"
CHROMIUM = os.environ.get("HOLOGRAM_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("HOLOGRAM_CHROMEDRIVER", "/usr/bin/chromedriver")
INSTALL = "apt-get install chromium chromium-driver"
#: Flags that work headless, as root, with no network but loopback.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1400,1000",
)


def _browser_missing() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)) and not shutil.which(path):
            return f"{path} is missing"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is missing (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """One headless Chromium for the whole session, with a fresh profile."""
    missing = _browser_missing()
    if missing is not None:
        if os.geteuid() == 0:
            pytest.fail(f"browser tests need chromium: {missing}; {INSTALL}")
        pytest.skip(f"browser tests left out ({missing}): {INSTALL}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(15)
    driver.set_script_timeout(10)
    try:
        yield driver
    finally:
        driver.quit()


class Site:
    """A local cloud, its dashboard and the web server, all on loopback."""

    def __init__(self, db: str) -> None:
        self.db = db
        self.cloud = LocalCloud(port=0, db=db, idle_timeout=2.0).start()
        self.dashboard = Dashboard(DashboardData(db), SessionAuth(API_KEY), interval=0.1).start()
        self.web = web_server(self.dashboard).start()
        self.url = self.web.url

    def close(self) -> None:
        self.web.close()
        self.dashboard.close()
        self.cloud.close()


@pytest.fixture
def site(tmp_path):
    site = Site(str(tmp_path / "cloud.db"))
    try:
        yield site
    finally:
        site.close()
    # The browser's driver connections come and go, so these tests skip the
    # general fd check (allow_leaks); what this fixture started must be gone.
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline:
        ours = [
            t.name
            for t in threading.enumerate()
            if t.name.startswith(("http-", "dashboard-", "LocalCloud-"))
            or "process_request" in t.name
        ]
        if not ours:
            break
        time.sleep(0.05)
    assert not ours, f"left running: {ours}"


@pytest.fixture
def page(browser, site):
    """The browser, with no cookie of an earlier test, pointed at nothing yet."""
    browser.get(site.url + "/login")
    browser.delete_all_cookies()
    yield browser


def fill_messages(db: str, count: int, device: str = "device-1", start: float | None = None):
    """Store ``count`` messages in the cloud's database in one transaction (test setup)."""
    now = time.time() if start is None else start
    conn = sqlite3.connect(db)
    try:
        with conn:
            conn.executemany(
                "INSERT INTO messages (device, topics, data, received) VALUES (?, ?, ?, ?)",
                (
                    (device, '["BULK"]', f"reading {i}", now - (count - i) * 0.5)
                    for i in range(1, count + 1)
                ),
            )
    finally:
        conn.close()
