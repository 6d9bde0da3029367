"""Under the Content-Security-Policy the pages still work in Chromium: what the inline
handlers did is done by static/js/console.js, htmx swaps in fragments, and the browser
refuses nothing (open_page fails the test on any console error, a CSP refusal included)."""

import pytest
from playwright.sync_api import expect

from tests.support.browser import sign_in
from tests.support.console_data import rollout_built

pytestmark = pytest.mark.integration


def test_a_new_token_is_selected_with_one_click(open_page, release_manager):
    page = open_page()
    sign_in(page, release_manager)
    response = page.goto("/account/tokens/")
    assert "script-src 'self'" in response.headers["content-security-policy"]

    page.get_by_label("Name").fill("pipeline")
    page.get_by_role("button", name="Create token").click()
    field = page.get_by_label("New API token")
    field.click()

    token = field.input_value()
    assert token.startswith("usc_")
    selection = page.evaluate(
        "() => [document.activeElement.selectionStart, document.activeElement.selectionEnd]"
    )
    assert selection == [0, len(token)]  # a click alone would only place the cursor


def test_the_devices_link_loads_its_panel_and_the_poller_waits_while_hidden(
    open_page, release_manager
):
    rollout = rollout_built(user=release_manager)
    page = open_page()
    sign_in(page, release_manager)
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if "/live/" in r.url else None)
    page.goto(f"/rollouts/{rollout.pk}/")

    page.locator("#stage-1 .foot a", has_text="Devices").click()
    expect(page.locator("#devices")).to_contain_text("Stage 1")
    page.wait_for_function(
        "() => { const r = document.getElementById('devices').getBoundingClientRect();"
        " return r.top < window.innerHeight && r.bottom > 0; }"
    )

    expect(page.locator("#poller")).to_have_attribute("data-interval", "2")
    page.wait_for_timeout(2_500)
    assert polls, "the poller polls while the tab is visible"
    page.evaluate(
        "() => { Object.defineProperty(document, 'visibilityState', {value: 'hidden',"
        " configurable: true}); }"
    )
    page.wait_for_timeout(500)  # a poll already on its way may land
    hidden_from = len(polls)
    page.wait_for_timeout(5_000)
    assert len(polls) == hidden_from, "no poll while the tab is hidden"

    page.evaluate(
        "() => { Object.defineProperty(document, 'visibilityState', {value: 'visible',"
        " configurable: true}); document.dispatchEvent(new Event('visibilitychange')); }"
    )
    page.wait_for_timeout(1_000)
    assert len(polls) > hidden_from, "coming back polls at once"


def test_the_channel_form_shows_only_the_chosen_kinds_fields(open_page, console_admin):
    page = open_page()
    sign_in(page, console_admin)
    page.goto("/notifications/new/")

    form = page.locator("[data-channel-form]")
    form.locator("select[name=kind]").select_option("email")

    expect(form.locator("fieldset[data-kind=email]")).to_be_visible()
    expect(form.locator("fieldset[data-kind=webhook]")).to_be_hidden()
    expect(form.locator("fieldset[data-kind=apprise]")).to_be_hidden()
