"""The approve dialog in a browser: the numbers it shows are the simulator's truth, four-eyes
holds from stage 1 (the starter sees an inactive button and why), and confirming after the
numbers changed answers 409 with the new ones (real server, worker, beat and simulator)."""

import re

import pytest
from playwright.sync_api import expect

from rollouts.models import EventKind, RolloutStage, StageStatus
from tests.process.helpers import start_rollout, wait_awaiting_approval
from tests.support.browser import sign_in
from tests.support.console_data import rollout_built

pytestmark = pytest.mark.integration

LIVE = 90_000  # ms to wait for the engine to move a stage
STAGES = [
    # Soak keeps the canary read back until every device has finished: its stored numbers are
    # then the final ones, and the simulator's truth can be compared with them.
    {
        "name": "Canary",
        "target": "tag",
        "tag": "canary",
        "success_threshold": 10,
        "failure_threshold": 100,
        "soak_minutes": 15,
    },
    {"name": "Group 1", "target": "groups", "groups": ["TestGroup1"]},
]


def test_four_eyes_from_stage_1_and_the_dialog_numbers_are_the_simulators_truth(
    engine_factory, open_page, settings, release_manager, other_manager
):
    settings.ROLLOUT_FOUR_EYES = True  # the site's policy: the starter approves nothing
    with engine_factory(devices=600) as engine:
        engine.sim.failure_rates(tags={"canary": 0.4})
        rollout = start_rollout(user=release_manager, stages=STAGES)

        # The starter sees stage 1's dialog without an active button, and why.
        rita = open_page()
        sign_in(rita, release_manager)
        rita.goto(f"/rollouts/{rollout.pk}/")
        dialog = rita.locator("#approve-dialog")
        expect(dialog).to_contain_text("Start stage 1 (Canary): tag canary")
        expect(dialog.get_by_role("button", name="Approve stage 1")).to_be_disabled()
        expect(dialog).to_contain_text("Four-eyes: you started this rollout")
        expect(rita.get_by_role("button", name="Confirm: approve stage 1")).to_have_count(0)

        # A second person approves stage 1, with the comment four-eyes requires.
        otto = open_page()
        sign_in(otto, other_manager)
        otto.goto(f"/rollouts/{rollout.pk}/")
        otto.get_by_text("Approve next stage").click()
        expect(otto.locator("#approve-dialog")).to_contain_text("no earlier results")
        expect(otto.locator("#approve-dialog")).to_contain_text("Who may approve: otto")
        otto.get_by_role("button", name="Confirm: approve stage 1").click()
        assert RolloutStage.objects.get(rollout=rollout, position=1).approved_at is None
        otto.get_by_label(re.compile("^Comment")).fill("canary build checked")
        otto.get_by_role("button", name="Confirm: approve stage 1").click()
        expect(otto.locator(".messages")).to_contain_text("Stage 1 (tag canary) approved")

        wait_awaiting_approval(rollout, 2, engine=engine, timeout=LIVE / 1000)
        marker = f"[rollout {rollout.pk} · stage 1/2]"
        truth = engine.sim.truth(project="Demo", tag="canary", comment=marker)
        otto.goto(f"/rollouts/{rollout.pk}/")

    counts = truth["counts"]
    succeeded = counts.get("success", 0)
    failed = counts.get("failed", 0) + counts.get("aborted", 0)
    assert failed, truth  # the 40% failure rate shows: the numbers are not all "success"
    row = otto.locator('#approve-dialog [data-evidence-stage="1"]')
    expect(row.locator('[data-evidence="succeeded"]')).to_contain_text(
        f"{succeeded}/{truth['devices']}"
    )
    expect(row.locator('[data-evidence="failed"]')).to_have_text(str(failed))
    expect(row.locator('[data-evidence="pending"]')).to_have_text("0")
    stage = RolloutStage.objects.get(rollout=rollout, position=1)
    assert (stage.count_success, stage.devices_total) == (succeeded, truth["devices"])
    approval = rollout.events.get(kind=EventKind.STAGE_APPROVED)
    assert (
        approval.actor == other_manager and approval.details["evidence"]["stage"]["position"] == 1
    )


AWAITING = (StageStatus.SUCCEEDED, StageStatus.PENDING, StageStatus.PENDING)


def test_confirming_after_the_numbers_changed_shows_the_409_message_and_the_new_numbers(
    open_page, release_manager
):
    rollout = rollout_built(
        user=release_manager, stage_statuses=AWAITING, second_stage_approved=False, devices=11
    )
    page = open_page()
    sign_in(page, release_manager)
    page.goto(f"/rollouts/{rollout.pk}/")
    page.get_by_text("Approve next stage").click()
    failed = page.locator('#approve-dialog [data-evidence-stage="1"] [data-evidence="failed"]')
    expect(failed).to_have_text("0")

    # The canary's read-back records late failures while the dialog is open.
    RolloutStage.objects.filter(rollout=rollout, position=1).update(count_success=8, count_failed=3)
    page.expected_errors.append("409")  # the browser logs the refused POST's status
    page.get_by_label(re.compile("^Comment")).fill("looks fine")
    page.get_by_role("button", name="Confirm: approve stage 2").click()

    expect(page.locator(".messages")).to_contain_text("The numbers changed — review again.")
    expect(failed).to_have_text("3")
    assert not rollout.events.filter(kind=EventKind.STAGE_APPROVED).exists()
    # Reviewed again, the approval goes through with what is shown now.
    page.get_by_text("Approve next stage").click()
    page.get_by_label(re.compile("^Comment")).fill("3 failures understood")
    page.get_by_role("button", name="Confirm: approve stage 2").click()
    expect(page.locator(".messages")).to_contain_text("Stage 2 (groups EU-West) approved")
    evidence = rollout.events.get(kind=EventKind.STAGE_APPROVED).details["evidence"]
    assert evidence["earlier"][0]["failed"] == 3
