"""A group whose devices all fail pauses the rollout; the open page shows why, live."""

import pytest
from playwright.sync_api import expect

from rollouts.models import RolloutStatus
from tests.process.helpers import start_rollout, wait_status
from tests.support.browser import sign_in

pytestmark = pytest.mark.integration

STAGES = [
    {"target": "tag", "tag": "canary", "success_threshold": 100},
    {
        "target": "groups",
        "groups": ["TestGroup2"],
        "approval_required": False,
        "failure_threshold": 10,
    },
    {"target": "all"},
]


def test_a_failing_group_pauses_the_rollout_and_the_banner_says_why(
    engine_factory, open_page, release_manager
):
    with engine_factory(devices=200) as engine:
        engine.sim.failure_rates(groups={"TestGroup2": 1.0}, tags={"canary": 0.0})
        rollout = start_rollout(user=release_manager, stages=STAGES)
        page = open_page()
        sign_in(page, release_manager)
        page.goto(f"/rollouts/{rollout.pk}/")
        page.evaluate("window.__sameDocument = true")

        banner = page.locator("#banner [role=alert]")
        expect(banner).to_contain_text("The rollout is paused", timeout=90_000)
        expect(banner).to_contain_text("Stage 2 reached its failure threshold")
        expect(page.locator("#rollout-status [data-status]")).to_have_attribute(
            "data-status", "paused"
        )
        expect(page.get_by_text("Resume", exact=True)).to_be_visible()
        expect(page.get_by_text("Pause", exact=True)).to_have_count(0)
        expect(page.locator("#stage-2 [data-count=failed]")).not_to_have_text("0")
        assert page.evaluate("window.__sameDocument") is True
        wait_status(rollout, RolloutStatus.PAUSED, engine=engine)

    assert "failure threshold" in rollout.status_reason
