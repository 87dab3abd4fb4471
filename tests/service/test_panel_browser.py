"""The hint panel in a real headless browser: the demo replays an example, hints appear.

Uses Debian's chromium (scripts/install-test-services.sh installs it) driven by
Playwright; no `playwright install`. The screenshot goes to docs/images/hint-panel.png
when that file is missing or AGENTASSIST_UPDATE_SCREENSHOTS=1 is set.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "images" / "hint-panel.png"




def test_demo_replays_an_example_and_shows_hints(browser, live_server, tmp_path):
    page = browser.new_page(viewport={"width": 1200, "height": 760})
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{live_server.http}/panel?speed=30")
    page.wait_for_selector("#example option[value^='poor_call.txt']", state="attached")
    page.select_option("#example", value="poor_call.txt|0")
    page.click("#play")
    first = page.wait_for_selector("#hint-list .hint", timeout=15_000)
    assert "acknowledge" in first.inner_text().lower()
    page.wait_for_selector("#scorecard:not([hidden])", timeout=20_000)
    turns = page.locator("#turns .turn")
    assert turns.count() == 18
    assert page.locator("#turns .turn.pending").count() == 0
    criteria = page.locator("#hint-list .hint").evaluate_all(
        "nodes => nodes.map(n => n.dataset.criterion)")
    assert {"acknowledge_feelings", "unique_customer", "clear_information"} <= set(criteria)
    assert page.locator("#status").inner_text() == "session ended"
    assert all(url.startswith(live_server.http) or url.startswith(live_server.ws)
               for url in requests)  # nothing fetched from outside
    shot = tmp_path / "hint-panel.png"
    page.screenshot(path=str(shot))
    if not SCREENSHOT.exists() or os.environ.get("AGENTASSIST_UPDATE_SCREENSHOTS"):
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, SCREENSHOT)
    page.close()


def test_manual_turns_go_live(browser, live_server):
    page = browser.new_page()
    page.goto(f"{live_server.http}/panel")
    page.select_option("#manual-speaker", "customer")
    page.fill("#manual-text", "This is the third time I've called and I'm really fed up.")
    page.press("#manual-text", "Enter")
    hint = page.wait_for_selector("#hint-list .hint", timeout=10_000)
    assert "upset" in hint.inner_text()
    page.click("#end")
    page.wait_for_selector("#scorecard:not([hidden])", timeout=10_000)
    page.close()
