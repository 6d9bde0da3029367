"""A retried canary keeps its first pass's numbers, on the page and in the API (real server,
worker, beat and simulator over HTTP; the simulator fails a share of the canary, then none)."""

import re

import pytest
from playwright.sync_api import expect

from rollouts.models import ApiCall, CallKind, RolloutStage, StageStatus
from rollouts.services.tokens import api_token_create
from tests.process.helpers import start_rollout, wait_awaiting_approval
from tests.support.browser import sign_in
from tests.support.processes import wait_for

pytestmark = pytest.mark.integration

STAGES = [
    # Needs every device and never pauses on failures: the canary stays open, with its
    # failed devices, until they are retried.
    {
        "name": "Canary",
        "target": "tag",
        "tag": "canary",
        "success_threshold": 100,
        "failure_threshold": 100,
    },
    {"name": "Group 1", "target": "groups", "groups": ["TestGroup1"]},
]


def test_a_retried_canary_keeps_its_first_pass_numbers_on_the_page_and_the_api(
    engine_factory, open_page, release_manager
):
    with engine_factory(devices=300) as engine:
        engine.sim.failure_rates(tags={"canary": 0.5})
        rollout = start_rollout(user=release_manager, stages=STAGES)
        marker = f"[rollout {rollout.pk} · stage 1/2]"

        def first_pass_settled():
            engine.sim.advance(minutes=10)  # queued updates finish
            truth = engine.sim.truth(project="Demo", tag="canary", comment=marker)
            counts = truth["counts"]
            stage = RolloutStage.objects.get(rollout=rollout, position=1)
            done = counts.get("success", 0) + counts.get("failed", 0)
            settled = (
                stage.status == StageStatus.MONITORING
                and done == truth["devices"] > 0
                and (stage.count_success, stage.count_failed)
                == (counts.get("success", 0), counts.get("failed", 0))
            )
            return truth if settled else None

        truth = wait_for(first_pass_settled, timeout=90, describe=engine.logs)
        succeeded, failed = truth["counts"]["success"], truth["counts"]["failed"]
        devices = truth["devices"]
        assert succeeded and failed, truth  # a real mix: the retry has something to do

        # Retry the failed canary devices from the page; this time none fail.
        engine.sim.failure_rates(tags={"canary": 0.0})
        rita = open_page()
        sign_in(rita, release_manager)
        rita.goto(f"/rollouts/{rollout.pk}/")
        rita.get_by_text("Retry failed · stage 1").click()
        rita.get_by_role("button", name="Confirm: retry stage 1").click()
        wait_for(
            lambda: ApiCall.objects.filter(
                rollout=rollout, kind=CallKind.RETRY, state="succeeded"
            ).exists(),
            timeout=60,
            describe=engine.logs,
        )
        engine.sim.advance(minutes=10)
        wait_awaiting_approval(rollout, 2, engine=engine, timeout=90)

        rita.goto(f"/rollouts/{rollout.pk}/")
        card = rita.locator("#stage-1")
        expect(card.locator('[data-count="success"]')).to_have_text(str(devices))  # now
        passes = card.locator("#stage-1-passes")
        expect(passes.locator('[data-pass="1"]')).to_have_text(
            f"First pass {succeeded}/{devices} succeeded, {failed} failed"
        )
        expect(passes.locator('[data-pass="2"]')).to_contain_text(
            re.compile(rf"^Retry {failed}/{failed} succeeded")
        )
        # The approval of stage 2 shows the same passes as evidence.
        expect(rita.locator('#approve-dialog [data-evidence="passes"]')).to_contain_text(
            f"first pass {succeeded}/{devices} succeeded, {failed} failed; "
            f"retry {failed}/{failed} succeeded"
        )

        _, token = api_token_create(user=release_manager, name="retry-evidence")
        answer = rita.request.get(
            f"/api/v1/rollouts/{rollout.pk}", headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status == 200
        first, again = answer.json()["stages"][0]["passes"]

    assert (first["kind"], first["devices"], first["succeeded"], first["failed"]) == (
        "deploy",
        devices,
        succeeded,
        failed,
    )
    assert first["ended_at"] is not None
    assert (again["kind"], again["devices"], again["succeeded"], again["failed"]) == (
        "retry",
        failed,
        failed,
        0,
    )
    assert again["started_by"] == release_manager.username
