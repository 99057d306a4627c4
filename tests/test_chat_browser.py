"""The chat page in a real browser: Debian's chromium (headless) with chromium-driver, driven by selenium.

It loads the page served by `hubctl chat --serve`, shows the model and its manifest digest, streams a reply
that contains "Paris", and resets. A screenshot is kept for humans: its path is printed, and a copy goes to
.bench/chat-serve.png.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from servetools import load_verified, locked_copy, running

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is needed (pip install selenium)")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = [
    pytest.mark.real_model,
    pytest.mark.skipif(
        not (CHROMIUM and DRIVER),
        reason="Debian's chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)",
    ),
]
ROOT = Path(__file__).resolve().parents[1]
REPLY_TIMEOUT = 300.0


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    loaded = load_verified(locked_copy(tmp_path_factory.mktemp("browser") / "smollm2-135m-instruct"))
    with running(loaded, queue=1) as srv:
        yield srv


@pytest.fixture
def browser(tmp_path):
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1100,800",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=DRIVER))
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def wait_until(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {seconds:g} s waiting for {what}")


def text_of(driver, selector: str) -> list[str]:
    return [e.text for e in driver.find_elements("css selector", selector)]


def test_the_page_streams_a_reply_and_resets(server, browser, tmp_path):
    browser.get(server.url)
    wait_until(lambda: browser.find_element("id", "model").text == "smollm2-135m-instruct", 60, "the model's name")
    assert browser.find_element("id", "digest").text == server.digest and server.digest.startswith("sha256:")

    browser.find_element("css selector", "#settings summary").click()
    for field, value in (("temperature", "0"), ("max_tokens", "32")):
        box = browser.find_element("id", field)
        box.clear()
        box.send_keys(value)
    browser.find_element("id", "input").send_keys("What is the capital of France?")
    browser.find_element("id", "send").click()

    seen = set()  # the reply's successive texts: more than one means it arrived in pieces

    def finished() -> bool:
        replies = text_of(browser, ".msg.assistant")
        if replies and replies[-1]:
            seen.add(replies[-1])
        return bool(replies) and browser.find_element("id", "send").is_enabled()

    wait_until(finished, REPLY_TIMEOUT, "the reply to finish")
    reply = text_of(browser, ".msg.assistant")[-1]
    assert "Paris" in reply, reply
    assert len(seen) > 1, seen  # streamed, not delivered at once
    assert text_of(browser, ".msg.user") == ["What is the capital of France?"]
    assert browser.execute_script("return history.length") == 2  # the turn is kept for the next message
    assert not text_of(browser, ".msg.error")

    shot = tmp_path / "chat-serve.png"
    browser.save_screenshot(str(shot))
    bench = ROOT / ".bench"
    bench.mkdir(exist_ok=True)
    shutil.copy(shot, bench / "chat-serve.png")
    print(f"\nscreenshot: {shot} (copy: {bench / 'chat-serve.png'})")

    browser.find_element("id", "reset").click()
    wait_until(lambda: text_of(browser, ".msg") == ["(conversation cleared)"], 10, "the conversation to clear")
    assert browser.execute_script("return history.length") == 0
