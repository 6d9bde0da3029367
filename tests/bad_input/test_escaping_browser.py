"""In a real browser (Chromium, against the live console): pages full of hostile text run no
injected script, fire no dialog and gain no injected element, also when htmx swaps in a
live update that carries new hostile text, and when the stage editor clones its template."""

import pytest
from playwright.sync_api import expect

from rollouts.services.events import event_record
from tests.bad_input.scene import SCRIPT, hostile_scene, hostile_settings
from tests.support.browser import sign_in

pytestmark = pytest.mark.integration

NEW_REASON = '<img src=x onerror="window.__xss = 1; alert(2)"><script>alert(3)</script>'
INJECTED = "img[src=x], svg[onload], [onerror], script:not([src])"


def assert_clean(page, dialogs: list[str]) -> None:
    assert dialogs == []
    assert page.locator(INJECTED).count() == 0
    assert page.evaluate("window.__xss") is None
    scripts = page.eval_on_selector_all("script", "els => els.map(e => e.src)")
    assert all("/static/" in src for src in scripts), scripts


def test_hostile_text_runs_nothing_in_a_browser(open_page, settings, release_manager):
    hostile_settings(settings)
    scene = hostile_scene(user=release_manager)
    page = open_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(page, release_manager)

    for url in (
        "/",
        "/plans/",
        f"/plans/{scene.plan.pk}/edit/",
        f"/rollouts/new/?plan={scene.plan.pk}",
        "/history/?q=%3Cscript%3E",
        f"/rollouts/{scene.failed.pk}/calls/",
        f"/rollouts/{scene.failed.pk}/stages/1/devices/",
        "/account/tokens/",
    ):
        page.goto(url)
        page.wait_for_load_state("networkidle")
        assert_clean(page, dialogs)
    page.goto(f"/plans/{scene.plan.pk}/edit/")
    page.get_by_role("button", name="+ Add stage").click()  # clones the form template
    assert_clean(page, dialogs)

    page.goto(f"/rollouts/{scene.failed.pk}/")
    expect(page.locator("#banner")).to_contain_text(SCRIPT)  # shown as text
    expect(page.locator("#device-table")).to_contain_text(SCRIPT)  # loaded by htmx
    assert_clean(page, dialogs)

    # The paused rollout's page polls; new hostile text arrives in an htmx swap.
    page.goto(f"/rollouts/{scene.paused.pk}/")
    event_record(rollout=scene.paused, kind="api_error", reason=NEW_REASON)
    expect(page.locator("#timeline")).to_contain_text(NEW_REASON, timeout=15_000)
    assert_clean(page, dialogs)
