"""A viewer reads everything, sees no action buttons, and is refused on the server."""

import pytest
from playwright.sync_api import expect

from rollouts.models import RolloutStatus, StageStatus
from tests.support.browser import sign_in
from tests.support.console_data import rollout_built

pytestmark = pytest.mark.integration

AWAITING = (StageStatus.SUCCEEDED, StageStatus.PENDING, StageStatus.PENDING)
ACTIONS = ["Approve next stage", "Pause", "Resume", "Abort", "Retry failed"]


def csrf_token(page) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")


def test_a_viewer_sees_no_action_buttons_and_posting_one_is_403(open_page, viewer, release_manager):
    rollout = rollout_built(
        user=release_manager, stage_statuses=AWAITING, second_stage_approved=False
    )
    page = open_page()
    sign_in(page, viewer)

    page.goto(f"/rollouts/{rollout.pk}/")

    expect(page.locator("#actions")).to_contain_text("Stage 2")
    expect(page.locator("#actions")).to_contain_text("is waiting for approval")
    for label in ACTIONS:
        expect(page.get_by_text(label, exact=True)).to_have_count(0)
    expect(page.locator("#actions form")).to_have_count(0)
    expect(page.get_by_role("link", name="New rollout")).to_have_count(0)

    answer = page.request.post(
        f"/rollouts/{rollout.pk}/approve/",
        form={"comment": "let me in"},
        headers={"X-CSRFToken": csrf_token(page)},
    )

    assert answer.status == 403
    assert "Your role does not allow this." in answer.text()
    rollout.refresh_from_db()
    assert rollout.status == RolloutStatus.RUNNING
    assert rollout.stages.get(position=2).approved_at is None


def test_a_release_manager_sees_the_buttons_on_the_same_rollout(open_page, release_manager):
    rollout = rollout_built(
        user=release_manager, stage_statuses=AWAITING, second_stage_approved=False
    )
    page = open_page()
    sign_in(page, release_manager)

    page.goto(f"/rollouts/{rollout.pk}/")

    for label in ("Approve next stage", "Pause", "Abort"):
        expect(page.get_by_text(label, exact=True)).to_be_visible()
    page.get_by_text("Abort", exact=True).click()
    page.get_by_role("button", name="Confirm: abort rollout").click()
    # the reason is required: the browser keeps the form open, nothing is sent
    rollout.refresh_from_db()
    assert rollout.status == RolloutStatus.RUNNING
    page.get_by_role("textbox", name="Reason (required)").fill("wrong build")
    page.get_by_role("button", name="Confirm: abort rollout").click()
    expect(page.locator(".messages")).to_contain_text(f"Rollout {rollout.pk} aborted.")
    expect(page.locator("#banner")).to_contain_text("wrong build")
