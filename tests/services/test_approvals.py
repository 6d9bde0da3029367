"""services/approvals.py: approving on evidence, with four-eyes that holds (stage 1 included)
and the approve permission split from operating."""

import pytest

from rollouts.engine.lifecycle import Action, Awaiting, allowed_actions, rollout_waiting
from rollouts.models import EventKind, RolloutStage, StageStatus
from rollouts.roles import APPROVER, OPERATOR
from rollouts.selectors.evidence import approval_evidence
from rollouts.services.actions import NumbersChanged, stage_approve
from rollouts.services.errors import ActionRefused
from tests.engine.scenes import started
from tests.support.console_data import rollout_built
from tests.support.roles import user_with_role

pytestmark = pytest.mark.django_db

AWAITING = (StageStatus.SUCCEEDED, StageStatus.PENDING, StageStatus.PENDING)
TWO_STAGES = [{"target": "tag", "tag": "canary"}, {"target": "all"}]


def waiting_on(rollout):
    stages = list(rollout.stages.order_by("position"))
    return rollout_waiting(rollout=rollout, stages=stages), stages


def test_under_four_eyes_stage_1_waits_for_a_second_person(release_manager, other_manager):
    rollout, _ = started(TWO_STAGES, user=release_manager, require_different_approver=True)

    waiting, stages = waiting_on(rollout)
    assert (waiting.kind, waiting.stage.position) == (Awaiting.APPROVAL, 1)
    assert stages[0].approved_at is None
    assert Action.APPROVE not in allowed_actions(
        rollout=rollout, stages=stages, user=release_manager
    )
    with pytest.raises(ActionRefused) as refused:
        stage_approve(rollout=rollout, actor=release_manager, comment="it's fine")
    assert refused.value.code == "permission_denied"

    stage = stage_approve(rollout=rollout, actor=other_manager, comment="canary build checked")

    assert (stage.position, stage.approved_by) == (1, other_manager)


def test_the_site_setting_turns_four_eyes_on_whatever_the_plan_says(
    settings, release_manager, other_manager
):
    settings.ROLLOUT_FOUR_EYES = True

    rollout, stages = started(TWO_STAGES, user=release_manager)

    assert rollout.require_different_approver is True
    assert stages[0].approved_at is None
    assert rollout.events.get(kind=EventKind.STARTED).details["four_eyes"] is True


def test_without_four_eyes_the_starter_still_approves_stage_1(release_manager):
    rollout, stages = started(TWO_STAGES, user=release_manager)

    assert stages[0].approved_by == release_manager
    assert waiting_on(rollout)[0].kind != Awaiting.APPROVAL


def test_the_approval_event_keeps_the_evidence_shown(release_manager, other_manager):
    rollout = rollout_built(
        user=release_manager, stage_statuses=AWAITING, second_stage_approved=False, devices=7
    )

    stage_approve(rollout=rollout, actor=other_manager, comment="ok")

    event = rollout.events.get(kind=EventKind.STAGE_APPROVED)
    evidence = event.details["evidence"]
    assert evidence["stage"]["position"] == 2
    assert evidence["earlier"][0] | {"shortfall": None} == evidence["earlier"][0]
    first = evidence["earlier"][0]
    assert (first["succeeded"], first["failed"], first["devices"]) == (7, 0, 7)
    assert (first["succeeded_percent"], first["threshold_met"]) == (100.0, True)
    assert set(evidence["approvers"]) == {"otto", "rita"}


def test_a_comment_is_required_under_four_eyes(release_manager, other_manager):
    rollout = rollout_built(
        user=release_manager,
        stage_statuses=AWAITING,
        second_stage_approved=False,
        require_different_approver=True,
    )

    with pytest.raises(ActionRefused) as refused:
        stage_approve(rollout=rollout, actor=other_manager, comment="  ")

    assert (refused.value.code, refused.value.field) == ("invalid", "comment")
    assert "four-eyes" in str(refused.value)
    assert rollout.stages.get(position=2).approved_at is None


def test_a_comment_is_required_after_a_stage_that_fell_short(release_manager):
    rollout = rollout_built(
        user=release_manager, stage_statuses=AWAITING, second_stage_approved=False
    )
    RolloutStage.objects.filter(rollout=rollout, position=1).update(count_success=2)

    with pytest.raises(ActionRefused, match="stage 1 fell short"):
        stage_approve(rollout=rollout, actor=release_manager)


def evidence_now(rollout):
    stages = list(rollout.stages.order_by("position"))
    return approval_evidence(rollout=rollout, stages=stages, stage=stages[1])


def test_new_failures_since_the_dialog_was_shown_refuse_the_approval(release_manager):
    rollout = rollout_built(
        user=release_manager, stage_statuses=AWAITING, second_stage_approved=False, devices=10
    )
    shown = evidence_now(rollout)
    RolloutStage.objects.filter(rollout=rollout, position=1).update(count_failed=3)

    with pytest.raises(NumbersChanged) as changed:
        stage_approve(rollout=rollout, actor=release_manager, fingerprint=shown["fingerprint"])

    assert str(changed.value) == "The numbers changed — review again."
    assert changed.value.evidence["earlier"][0]["failed"] == 3
    assert rollout.stages.get(position=2).approved_at is None
    assert not rollout.events.filter(kind=EventKind.STAGE_APPROVED).exists()


def test_devices_that_succeed_meanwhile_do_not_matter(release_manager):
    rollout = rollout_built(
        user=release_manager, stage_statuses=AWAITING, second_stage_approved=False, devices=10
    )
    RolloutStage.objects.filter(rollout=rollout, position=1).update(
        count_success=9, count_pending=1
    )
    shown = evidence_now(rollout)
    RolloutStage.objects.filter(rollout=rollout, position=1).update(
        count_success=10, count_pending=0
    )

    stage = stage_approve(rollout=rollout, actor=release_manager, fingerprint=shown["fingerprint"])

    assert stage.approved_by == release_manager


def test_an_approver_approves_but_does_not_operate(release_manager):
    approver = user_with_role("apu", APPROVER)
    rollout = rollout_built(
        user=release_manager, stage_statuses=AWAITING, second_stage_approved=False
    )
    stages = list(rollout.stages.order_by("position"))

    assert allowed_actions(rollout=rollout, stages=stages, user=approver) == {Action.APPROVE}


def test_an_operator_operates_but_does_not_approve(release_manager):
    operator = user_with_role("opal", OPERATOR)
    rollout = rollout_built(
        user=release_manager, stage_statuses=AWAITING, second_stage_approved=False
    )
    stages = list(rollout.stages.order_by("position"))

    actions = allowed_actions(rollout=rollout, stages=stages, user=operator)

    assert Action.APPROVE not in actions
    assert {Action.PAUSE, Action.ABORT} <= actions
