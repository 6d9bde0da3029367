"""axe-core on every console page, at desktop and phone widths: no serious or critical
violation. The rows are made directly (no engine): each page is shown in its busiest states
(a stage awaiting approval with its form open, a paused rollout's decisions, a completed one)."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from rollouts.models import RolloutStatus, StageStatus
from tests.factories import ApiCallFactory
from tests.support.browser import DESKTOP, PHONE, axe_violations, sign_in
from tests.support.console_data import rollout_built, rollout_paused_by_deadline

pytestmark = pytest.mark.integration

AWAITING = (StageStatus.SUCCEEDED, StageStatus.PENDING, StageStatus.PENDING)
DONE = (StageStatus.SUCCEEDED, StageStatus.SUCCEEDED, StageStatus.SUCCEEDED)


def console_rows(user):
    """One rollout in each state a page shows differently; returns the page paths to check."""
    awaiting = rollout_built(user=user, stage_statuses=AWAITING, second_stage_approved=False)
    paused = rollout_paused_by_deadline(user=user, plan=awaiting.plan)
    completed = rollout_built(
        user=user,
        plan=awaiting.plan,
        status=RolloutStatus.COMPLETED,
        stage_statuses=DONE,
        finished_at=timezone.now(),
    )
    ApiCallFactory(rollout=paused, stage=paused.stages.get(position=2), state="failed")
    return [
        "/",
        "/plans/",
        "/plans/new/",
        f"/plans/{awaiting.plan_id}/edit/",
        "/rollouts/new/",
        f"/rollouts/{awaiting.pk}/",
        f"/rollouts/{paused.pk}/",
        f"/rollouts/{completed.pk}/",
        f"/rollouts/{paused.pk}/calls/",
        f"/rollouts/{paused.pk}/stages/2/devices/",
        f"/rollouts/{paused.pk}/stages/3/edit/",
        "/history/",
        "/freezes/",
        "/freezes/new/",
        "/notifications/",
        "/notifications/new/",
        "/account/tokens/",
    ], awaiting


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_every_console_page_has_no_serious_axe_violation(open_page, console_admin, viewport):
    paths, awaiting = console_rows(console_admin)
    page = open_page(viewport=viewport)
    page.goto("/login/")
    found = axe_violations(page)
    sign_in(page, console_admin)

    for path in paths:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        found += axe_violations(page)

    # An action form open, as a person sees it before confirming.
    page.goto(f"/rollouts/{awaiting.pk}/")
    page.get_by_text("Approve next stage", exact=True).click()
    found += axe_violations(page)

    assert found == [], "\n".join(found)


def test_axe_reports_what_it_finds(open_page):
    """The check above can fail: axe finds a missing language, alt text and faint text."""
    page = open_page()
    page.set_content(
        '<html><body><main><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        '<p style="color: #bbb; background: #fff">faint</p></main></body></html>'
    )

    found = " ".join(axe_violations(page))

    for rule in ("html-has-lang", "image-alt", "color-contrast"):
        assert rule in found


def test_the_api_docs_page_has_a_language_a_landmark_and_readable_text(open_page, viewer):
    page = open_page()
    sign_in(page, viewer)
    page.goto("/api/v1/docs")
    page.locator(".opblock").first.wait_for()

    assert page.get_attribute("html", "lang") == "en"
    expect(page.get_by_role("main")).to_have_count(1)
    expect(page.get_by_role("link", name="The same reference in ReDoc")).to_be_visible()
    found = axe_violations(page)
    assert found == [], "\n".join(found)
