"""The dashboard in a real headless Chromium: login, live messages, the send form,
paging, escaping, the 404 page, a dropped stream, and a screenshot."""

from __future__ import annotations

import http.client
import math
import socket
import sqlite3
import threading
import time
import urllib.parse

import pytest

from hologram_sdk.cloud.custom import CustomCloud
from hologram_sdk.cloud.hologram import HologramCloud

from .conftest import API_KEY, fill_messages

pytestmark = pytest.mark.allow_leaks  # the site fixture checks its own threads

WAIT = 10.0  # the longest any single wait may take


def wait_for(driver, condition, timeout=WAIT, message=""):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(
        driver, timeout, poll_frequency=0.05, ignored_exceptions=(StaleElementReferenceException,)
    )
    return wait.until(condition, message)


def ids(driver):
    """The ids of the listed messages, top to bottom (one round trip)."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#messages > li'))"
        ".map(function (li) { return Number(li.getAttribute('data-id')); });"
    )


def css(driver, selector):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, selector)


def all_css(driver, selector):
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def log_in(driver, site, key=API_KEY, path="/"):
    driver.get(site.url + path)
    wait_for(driver, lambda d: "/login" in d.current_url, message="no login page")
    field = css(driver, "#key")
    field.clear()
    field.send_keys(key)
    css(driver, "#login-button").click()


def session_cookie(site):
    """Log in over plain HTTP and return the session cookie's value."""
    conn = http.client.HTTPConnection("127.0.0.1", site.web.port, timeout=WAIT)
    try:
        body = urllib.parse.urlencode({"key": API_KEY})
        conn.request("POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded"})
        answer = conn.getresponse()
        answer.read()
        assert answer.status == 303
        return answer.getheader("Set-Cookie").split(";")[0].split("=", 1)[1]
    finally:
        conn.close()


def logged_in(driver, site, path="/"):
    """Open ``path`` with a session (the login form itself is tested on its own)."""
    driver.add_cookie(
        {
            "name": "hologram_session",
            "value": session_cookie(site),
            "path": "/",
            "httpOnly": True,
            "sameSite": "Strict",
        }
    )
    driver.get(site.url + path)
    wait_for(driver, lambda d: d.find_elements("id", "live"), message="dashboard not shown")
    wait_for(
        driver,
        lambda d: css(d, "#live").get_attribute("data-state") == "ok",
        message="the live stream did not open",
    )


def device_sends(site, *payloads, credentials=None, topics=None):
    creds = credentials or {"cloud_id": "ab12", "cloud_key": "cd34"}
    sender = HologramCloud(
        creds, enable_inbound=False, send_host="127.0.0.1", send_port=site.cloud.port
    )
    try:
        for payload in payloads:
            assert int(sender.sendMessage(payload, topics=topics)) == 0
    finally:
        sender.close()


def no_alert(driver):
    from selenium.common.exceptions import NoAlertPresentException

    try:
        text = driver.switch_to.alert.text
    except NoAlertPresentException:
        return True
    pytest.fail(f"a script from a device ran: alert({text!r})")


def test_login_sets_a_strict_httponly_cookie(page, site):
    device_sends(site, "secret reading")
    page.get(site.url + "/")
    assert "/login" in page.current_url
    assert "secret reading" not in page.page_source
    log_in(page, site)
    wait_for(page, lambda d: css(d, "#live").get_attribute("data-state") == "ok")
    cookie = page.get_cookie("hologram_session")
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert API_KEY not in cookie["value"]
    wait_for(page, lambda d: "secret reading" in css(d, "#messages").text)
    assert css(page, "#devices tbody").text.startswith("device-1")


def test_wrong_key_shows_the_login_page_and_no_data(page, site):
    device_sends(site, "private payload")
    log_in(page, site, key="not-the-key-at-all")
    wait_for(page, lambda d: "not this server's API key" in css(d, "#login-error").text)
    assert "private payload" not in page.page_source
    assert page.get_cookie("hologram_session") is None
    for path in ("/ui/overview", "/ui/messages", "/ui/events"):
        page.get(site.url + path)
        assert "private payload" not in page.page_source
        assert "log in" in page.page_source


def test_a_message_from_hologramcloud_appears_live_within_a_second(page, site):
    device_sends(site, "first")
    logged_in(page, site)
    wait_for(page, lambda d: "first" in css(d, "#messages").text)
    device_sends(site, "hello live", topics=["LIVE"])
    sent = time.monotonic()
    wait_for(
        page,
        lambda d: "hello live" in css(d, "#messages li:first-child").text,
        timeout=1.0,
        message="not shown within 1 s",
    )
    elapsed = time.monotonic() - sent
    assert elapsed < 1.0
    first = css(page, "#messages li:first-child")
    assert "LIVE" in first.text
    assert css(page, "#stat-live").text == "1"


def test_the_form_sends_to_a_customcloud_listener(page, site):
    device_sends(site, "I am here")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    arrived = threading.Event()
    device = CustomCloud(None, receive_host="127.0.0.1", receive_port=port, enable_inbound=True)
    try:
        device.event.subscribe("message.received", arrived.set)
        logged_in(page, site)
        wait_for(page, lambda d: d.find_elements("css selector", "#send-device option"))
        css(page, "#send-text").send_keys("turn the fan on")
        css(page, "#send-address").send_keys(f"127.0.0.1:{port}")
        css(page, "#send-button").click()
        wait_for(page, lambda d: "Delivered" in css(d, "#send-result").text)
        assert arrived.wait(WAIT)
        assert device.popReceivedMessage() == "turn the fan on"
        wait_for(
            page,
            lambda d: "answered" in css(d, "#devices tbody tr").text,
            message="inbound state not shown",
        )
    finally:
        device.close()


def test_the_form_says_when_the_device_does_not_answer(page, site):
    device_sends(site, "here")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens there
    logged_in(page, site)
    wait_for(page, lambda d: d.find_elements("css selector", "#send-device option"))
    css(page, "#send-text").send_keys("anyone?")
    css(page, "#send-address").send_keys(f"127.0.0.1:{port}")
    css(page, "#send-button").click()
    wait_for(page, lambda d: "cannot reach" in css(d, "#send-result").text)
    wait_for(page, lambda d: "no answer" in css(d, "#devices tbody tr").text)


def test_paging_through_5000_messages(page, site):
    device_sends(site, "registers device-1")
    fill_messages(site.db, 4999)
    logged_in(page, site, path="/devices/device-1")
    wait_for(page, lambda d: "of 5,000" in css(d, "#page-position").text)
    from selenium.webdriver.support.ui import Select

    Select(css(page, "#page-size")).select_by_visible_text("500")
    wait_for(page, lambda d: css(d, "#page-position").text == "1\u2013500 of 5,000")
    seen: list[int] = []
    started = time.monotonic()
    for number in range(10):
        listed = ids(page)
        assert len(listed) == 500
        assert listed == sorted(listed, reverse=True)
        if seen:
            assert listed[0] == seen[-1] - 1  # continues exactly where the last page ended
        seen.extend(listed)
        position = f"{number * 500 + 1:,}\u2013{number * 500 + 500:,} of 5,000"
        assert css(page, "#page-position").text == position
        if number < 9:
            top = listed[0]
            css(page, "#page-older").click()
            wait_for(page, lambda d, top=top: ids(d)[:1] != [top])
    assert seen == list(range(5000, 0, -1))
    assert css(page, "#page-older").get_attribute("disabled") is not None
    css(page, "#page-newest").click()
    wait_for(page, lambda d: css(d, "#page-position").text == "1\u2013500 of 5,000")
    css(page, "#page-oldest").click()
    wait_for(page, lambda d: css(d, "#page-position").text == "4,501\u20135,000 of 5,000")
    assert time.monotonic() - started < 30.0


def test_a_burst_of_2000_is_drawn_in_batches(page, site):
    device_sends(site, "first")
    logged_in(page, site)
    wait_for(page, lambda d: "first" in css(d, "#messages").text)
    fill_messages(site.db, 2000)
    site.dashboard.hub.notify()
    wait_for(page, lambda d: css(d, "#stat-live").text == "2,000", timeout=20.0)
    assert len(all_css(page, "#messages > li")) == 200  # the newest; the rest a page away
    assert ids(page)[0] == 2001
    assert css(page, "#older").is_displayed()


def test_a_script_payload_is_shown_as_text_and_never_run(page, site):
    payloads = [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(2)">',
    ]
    device_sends(site, *payloads, topics=["<b>bold</b>"])
    logged_in(page, site)
    wait_for(page, lambda d: len(all_css(d, "#messages > li")) == 2)
    shown = [e.text for e in all_css(page, "#messages .payload")]
    assert shown == list(reversed(payloads))
    assert not all_css(page, "#messages img, #messages script, #messages b")
    assert "<b>bold</b>" in css(page, "#messages .topic").text
    no_alert(page)
    device_sends(site, "<script>alert(3)</script>")  # and live, through the stream
    wait_for(page, lambda d: len(all_css(d, "#messages > li")) == 3)
    assert css(page, "#messages .payload").text == "<script>alert(3)</script>"
    no_alert(page)
    page.get(site.url + "/devices/device-1")
    wait_for(page, lambda d: len(all_css(d, "#messages > li")) == 3)
    no_alert(page)


def test_binary_and_huge_payloads_are_folded(page, site):
    huge = "x" * 60000
    device_sends(site, b"\x00\x01\xfe\xffAB", huge)
    logged_in(page, site)
    wait_for(page, lambda d: len(all_css(d, "#messages > li")) == 2)
    big, binary = all_css(page, "#messages > li")
    pre = big.find_element("css selector", ".payload")
    assert "folded" in pre.get_attribute("class")
    assert len(pre.get_attribute("textContent")) <= 512
    fold = big.find_element("css selector", "button.fold")
    assert "60,000 bytes" in fold.text
    fold.click()
    wait_for(page, lambda d: len(pre.get_attribute("textContent")) == 60000)
    assert binary.find_element("css selector", ".payload").text == "00 01 fe ff 41 42"
    binary.find_element("xpath", ".//button[text()='base64']").click()
    assert binary.find_element("css selector", ".payload").text == "AAH+/0FC"


def test_an_unknown_device_gets_the_404_page(page, site):
    device_sends(site, "hi")
    logged_in(page, site)
    page.get(site.url + "/devices/%3Cscript%3Ealert(1)%3C%2Fscript%3E")
    wait_for(page, lambda d: d.find_elements("id", "not-found"))
    assert "404" in css(page, "h1").text
    assert css(page, "#missing").text == "device <script>alert(1)</script>"
    no_alert(page)


def test_a_dropped_stream_reconnects_and_says_so(page, site):
    device_sends(site, "before")
    logged_in(page, site)
    site.dashboard.end_streams()
    wait_for(
        page,
        lambda d: css(d, "#live").get_attribute("data-state") == "reconnected",
        message="no 'reconnected' shown",
    )
    assert "reconnected" in css(page, "#live").text
    device_sends(site, "after the drop")
    wait_for(page, lambda d: "after the drop" in css(d, "#messages").text)


def store_history(db, devices, now):
    """An hour of readings per device at varying rates (for the screenshot)."""
    rows = []
    for number, (name, base, swing, topic) in enumerate(devices):
        for minute in range(60):
            rate = max(0, round(base + swing * math.sin((minute + 9 * number) / 7.0)))
            for k in range(rate):
                when = now - (60 - minute) * 60 + k * 60.0 / max(rate, 1)
                rows.append((when, name, f'["{topic}"]', f"{20 + (minute % 7) * 0.3:.1f}"))
    rows.sort()
    conn = sqlite3.connect(db)
    try:
        with conn:
            conn.executemany(
                "INSERT INTO messages (received, device, topics, data) VALUES (?, ?, ?, ?)", rows
            )
    finally:
        conn.close()
