"""The live rollout page with a keyboard and a screen reader (static/js/live.js): a poll
announces status changes in one persistent live region, keeps focus where it was, never
replaces an action form a person has open or has typed in; one form open at a time, Escape
closes it. The rows change under the open page, as a worker would change them (no engine)."""

import pytest
from playwright.sync_api import expect

from rollouts.models import Rollout, RolloutStage, RolloutStatus, StageStatus
from tests.support.browser import PHONE, sign_in
from tests.support.console_data import rollout_built

pytestmark = pytest.mark.integration

AWAITING = (StageStatus.SUCCEEDED, StageStatus.PENDING, StageStatus.PENDING)
MONITORING = (StageStatus.SUCCEEDED, StageStatus.MONITORING, StageStatus.PENDING)
POLL = 40_000  # ms: polls back off up to 30 s while nothing changes


def focused_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def tab_to(page, element_id: str, *, key: str = "Tab", limit: int = 60) -> None:
    """Press Tab (or Shift+Tab) until the element with this id has focus (keyboard only)."""
    for _ in range(limit):
        page.keyboard.press(key)
        if focused_id(page) == element_id:
            return
    raise AssertionError(f"#{element_id} never got focus by Tab")


def test_the_live_region_announces_awaiting_approval(open_page, release_manager):
    rollout = rollout_built(user=release_manager, stage_statuses=MONITORING)
    page = open_page()
    sign_in(page, release_manager)
    page.goto(f"/rollouts/{rollout.pk}/")
    announcer = page.locator("#live-announcer")
    expect(announcer).to_have_attribute("aria-live", "polite")
    expect(announcer).to_have_text("")
    page.evaluate("window.__announcer = document.getElementById('live-announcer')")

    # Stage 2 succeeds: stage 3 needs an approval.
    RolloutStage.objects.filter(rollout=rollout, position=2).update(status=StageStatus.SUCCEEDED)

    expect(announcer).to_have_text("Awaiting approval of stage 3", timeout=POLL)
    expect(page.locator("#rollout-status")).to_contain_text("Awaiting approval")
    # The same element as before: a live region announces only if it stays in the page.
    assert page.evaluate("window.__announcer === document.getElementById('live-announcer')")


def test_a_keyboard_approves_and_a_refresh_keeps_focus_and_the_typed_reason(
    open_page, release_manager, other_manager
):
    rollout = rollout_built(
        user=release_manager, stage_statuses=AWAITING, second_stage_approved=False
    )
    page = open_page()
    sign_in(page, other_manager)
    page.goto(f"/rollouts/{rollout.pk}/")

    # A stage card's link keeps focus across a refresh of the stages.
    tab_to(page, "stage-1-devices")
    RolloutStage.objects.filter(rollout=rollout, position=1).update(last_error="Sweep: 1 offline")
    expect(page.locator("#stage-1")).to_contain_text("Sweep: 1 offline", timeout=POLL)
    assert focused_id(page) == "stage-1-devices"

    # Open the approve form with the keyboard and start typing a comment.
    tab_to(page, "toggle-approve", key="Shift+Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#approve-comment")).to_be_visible()
    tab_to(page, "approve-comment")
    page.keyboard.type("canary looks")

    # A refresh changes the actions region (the engine wrote a new sentence): the open,
    # half-filled form stays, with its text and its focus.
    Rollout.objects.filter(pk=rollout.pk).update(status_reason="Stage 1 finished.")
    RolloutStage.objects.filter(rollout=rollout, position=1).update(last_error="Sweep: done")
    expect(page.locator("#stage-1")).to_contain_text("Sweep: done", timeout=POLL)
    page.wait_for_timeout(500)
    assert focused_id(page) == "approve-comment"
    expect(page.locator("#approve-comment")).to_have_value("canary looks")

    # Escape closes the form and gives focus back to its toggle; only one form opens at once.
    page.keyboard.press("Escape")
    expect(page.locator("#approve-comment")).to_be_hidden()
    assert focused_id(page) == "toggle-approve"
    page.keyboard.press("Enter")
    page.locator("#toggle-pause").press("Enter")
    expect(page.locator("details.action[open]")).to_have_count(1)
    expect(page.locator("#pause-reason")).to_be_visible()
    page.keyboard.press("Escape")
    assert focused_id(page) == "toggle-pause"

    # The text typed before is still there; finish it and confirm, keyboard only.
    page.locator("#toggle-approve").focus()
    page.keyboard.press("Enter")
    tab_to(page, "approve-comment")
    expect(page.locator("#approve-comment")).to_have_value("canary looks")
    page.keyboard.type(" good")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Confirm: approve stage 2"
    page.keyboard.press("Enter")

    expect(page.locator(".messages")).to_contain_text("Stage 2 (")
    stage = RolloutStage.objects.get(rollout=rollout, position=2)
    assert stage.approved_by == other_manager
    assert stage.approval_comment == "canary looks good"


def test_on_a_phone_the_open_form_does_not_cover_the_focused_field(open_page, release_manager):
    rollout = rollout_built(user=release_manager, status=RolloutStatus.RUNNING)
    page = open_page(viewport=PHONE)
    sign_in(page, release_manager)
    page.goto(f"/rollouts/{rollout.pk}/")

    page.locator("#toggle-pause").click()
    page.locator("#pause-reason").focus()

    field = page.locator("#pause-reason").bounding_box()
    toggle = page.locator("#toggle-pause").bounding_box()
    assert field["y"] >= toggle["y"] + toggle["height"], "the form opens below its toggle"
    covering = page.evaluate(
        """() => {
          const r = document.activeElement.getBoundingClientRect();
          const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
          return top === document.activeElement || document.activeElement.contains(top);
        }"""
    )
    assert covering is True, "nothing covers the focused field"


def test_the_dashboard_refreshes_itself_and_announces_new_approvals(open_page, release_manager):
    page = open_page()
    sign_in(page, release_manager)  # lands on the dashboard
    expect(page.locator("#approvals")).to_contain_text("No stage is waiting for approval.")
    page.evaluate("window.__sameDocument = true")

    rollout = rollout_built(
        user=release_manager, stage_statuses=AWAITING, second_stage_approved=False
    )

    expect(page.locator("#approvals")).to_contain_text(f"#{rollout.pk}", timeout=POLL)
    expect(page.locator("#active")).to_contain_text(f"#{rollout.pk}")
    expect(page.locator("#live-announcer")).to_have_text("1 stage awaiting approval")
    assert page.evaluate("window.__sameDocument") is True
