"""The review pages in a real headless browser: sign in, queue, evidence, overrule, reload.

Debian's chromium (scripts/install-test-services.sh installs it) driven by Playwright, no
`playwright install`; the service runs under uvicorn on a loopback port with a temporary
SQLite database. Screenshots go to docs/images/review-*.png when those files are missing
or AGENTASSIST_UPDATE_SCREENSHOTS=1 is set.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from typer.testing import CliRunner

from agentassist.cli import app
from agentassist.resources import Resources
from agentassist.reviews import ReviewStore, import_scorecards
from service.main import create_app
from tests.agentassist.test_reviews import scored_examples
from tests.service.conftest import LiveServer, make_settings

IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"




def keep_screenshot(shot: Path, name: str) -> None:
    target = IMAGES / name
    if not target.exists() or os.environ.get("AGENTASSIST_UPDATE_SCREENSHOTS"):
        IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, target)


def test_trainer_overrules_a_verdict_and_it_persists(browser, tmp_path, rules_pipeline):
    settings = make_settings(tmp_path)
    store = ReviewStore.from_url(settings.database_url)
    import_scorecards(store, scored_examples(rules_pipeline), source="examples")
    added = CliRunner().invoke(app, ["user", "add", "tina", "--role", "trainer",
                                     "--password-stdin", "--database-url",
                                     settings.database_url], input="tina-password\n")
    assert added.exit_code == 0, added.output

    with LiveServer(create_app(settings, resources=Resources.blank())) as server:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(f"{server.http}/review")
        page.wait_for_selector("input[name=password]")  # sent to the sign-in form first
        page.fill("input[name=name]", "tina")
        page.fill("input[name=password]", "tina-password")
        page.click("button[type=submit]")
        page.wait_for_selector("#queue")
        first = page.locator("#queue tbody tr").first
        assert first.locator("a").inner_text() == "rail-poor-0194"  # most severe flags first
        assert "Unacknowledged distress" in first.inner_text()
        page.screenshot(path=str(tmp_path / "queue.png"), full_page=True)
        keep_screenshot(tmp_path / "queue.png", "review-queue.png")

        first.locator("a").click()
        page.wait_for_selector("#transcript")
        distress = page.locator('mark.ev[data-criteria~="acknowledge_feelings"]')
        assert distress.count() == 2
        assert distress.first.inner_text() == (
            "I'm at Leeds station with my two kids and I don't know what to do.")
        assert "ev-missed" in (distress.first.get_attribute("class") or "")
        assert distress.first.is_visible()
        card = page.locator("#criterion-acknowledge_feelings")
        assert card.locator(".badge").inner_text() == "missed"

        card.locator("form.overrule select[name=status]").select_option("met")
        with page.expect_navigation():
            card.locator("form.overrule button").click()
        page.reload()
        page.wait_for_selector("#criterion-acknowledge_feelings .decided")
        decided = page.locator("#criterion-acknowledge_feelings .decided").inner_text()
        assert decided.startswith("Overruled: met by tina")
        page.set_viewport_size({"width": 1280, "height": 1000})
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(tmp_path / "conversation.png"))
        keep_screenshot(tmp_path / "conversation.png", "review-conversation.png")
        assert all(url.startswith(server.http) for url in requests)  # nothing from outside
        page.close()

    detail = store.review(next(i.id for i in store.queue() if i.transcript_id == "rail-poor-0194"))
    stored = detail.verdicts["acknowledge_feelings"]
    assert (stored.machine_status, stored.action, stored.status, stored.who) == (
        "missed", "overrule", "met", "tina")
    store.close()
