"""The one place that says what a rollout waits for and what a person may do about it. These
functions read the rows they are given, so most rows here are never saved."""

from datetime import UTC, datetime, timedelta

import pytest

from rollouts.engine.lifecycle import (
    Action,
    Awaiting,
    Waiting,
    action_check,
    allowed_actions,
    rollout_waiting,
)
from rollouts.models import PauseCause, Rollout, RolloutStage, RolloutStatus, StageStatus
from rollouts.services import freezes
from rollouts.services.errors import ActionRefused

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
A = Action


@pytest.fixture(autouse=True)
def _nothing_held(monkeypatch):
    """No freeze window or kill switch here (tests/services/test_freezes.py has them), so
    these rows, never saved, are read without a database."""
    monkeypatch.setattr(freezes, "start_hold", lambda **_: None)


def rollout(status=RolloutStatus.RUNNING, **fields) -> Rollout:
    return Rollout(pk=7, status=status, **fields)


def stage(position=1, status=StageStatus.PENDING, **fields) -> RolloutStage:
    fields.setdefault("approved_at", T)
    return RolloutStage(position=position, status=status, **fields)


DONE = stage(1, StageStatus.SUCCEEDED)
AWAITS_APPROVAL = stage(2, approved_at=None)
DEPLOYING = stage(1, StageStatus.DEPLOYING)
NO_APPROVAL_NEEDED = stage(approval_required=False, approved_at=None)
REPORTING = stage(1, StageStatus.MONITORING, deadline_at=T, devices_total=10, count_success=3)
SOAKING = stage(
    1, StageStatus.MONITORING, threshold_met_at=T, soak_minutes=5, devices_total=2, count_success=2
)
FAILED_DEVICES = stage(1, StageStatus.MONITORING, devices_total=10, count_success=3, count_failed=2)


@pytest.mark.parametrize(
    ("the_rollout", "stages", "expected"),
    [
        (
            rollout(RolloutStatus.SCHEDULED, scheduled_at=T),
            [stage()],
            Waiting(Awaiting.SCHEDULE, until=T, sentence="Starts by itself."),
        ),
        (
            rollout(),
            [DONE, AWAITS_APPROVAL],
            Waiting(Awaiting.APPROVAL, AWAITS_APPROVAL, sentence="Stage 2 needs an approval."),
        ),
        (
            rollout(),
            [NO_APPROVAL_NEEDED],
            Waiting(Awaiting.DEPLOY, NO_APPROVAL_NEEDED, sentence="Stage 1 is being deployed."),
        ),
        (
            rollout(),
            [DEPLOYING],
            Waiting(Awaiting.DEPLOY, DEPLOYING, sentence="Stage 1 is being deployed."),
        ),
        (
            rollout(),
            [REPORTING],
            Waiting(
                Awaiting.DEVICES,
                REPORTING,
                until=T,
                sentence="Waiting for the devices of stage 1 to report.",
            ),
        ),
        (
            rollout(),
            [SOAKING],
            Waiting(
                Awaiting.SOAK, SOAKING, until=T + timedelta(minutes=5), sentence="Stage 1 soaks."
            ),
        ),
        (
            rollout(RolloutStatus.PAUSED, pause_cause=PauseCause.DEADLINE, status_reason="Why."),
            [DONE, REPORTING],
            Waiting(Awaiting.PERSON, REPORTING, cause=PauseCause.DEADLINE, sentence="Why."),
        ),
        (
            rollout(RolloutStatus.PAUSED, status_reason="Lunch."),
            [DEPLOYING],
            Waiting(Awaiting.PERSON, DEPLOYING, cause=PauseCause.PERSON, sentence="Lunch."),
        ),
        (rollout(RolloutStatus.DRAFT), [], Waiting(Awaiting.NOTHING)),
        (rollout(RolloutStatus.COMPLETED), [DONE], Waiting(Awaiting.NOTHING)),
        (
            rollout(),
            [DONE],
            Waiting(Awaiting.NOTHING, sentence="Every stage is done; completing."),
        ),
    ],
    ids=[
        "scheduled",
        "approval",
        "deploy-pending",
        "deploy",
        "devices",
        "soak",
        "person-cause",
        "person-default",
        "draft",
        "completed",
        "all-done",
    ],
)
def test_what_a_rollout_waits_for(settings, the_rollout, stages, expected):
    settings.ROLLOUT_SOAK_MINUTE_SECONDS = 60

    waiting = rollout_waiting(rollout=the_rollout, stages=stages)

    assert waiting.kind == expected.kind
    assert waiting.until == expected.until
    assert waiting.cause == expected.cause
    assert waiting.sentence == expected.sentence
    assert waiting.stage is expected.stage


def test_the_waiting_of_a_soaking_stage_follows_the_soak_minute(settings):
    settings.ROLLOUT_SOAK_MINUTE_SECONDS = 5

    waiting = rollout_waiting(rollout=rollout(), stages=[SOAKING])

    assert waiting.to_json() == {
        "kind": "soak",
        "stage": 1,
        "until": (T + timedelta(seconds=25)).isoformat(),
        "cause": "",
        "sentence": "Stage 1 soaks.",
    }


@pytest.mark.parametrize(
    ("the_rollout", "stages", "expected"),
    [
        (rollout(RolloutStatus.DRAFT), [], {A.ABORT}),
        (rollout(RolloutStatus.SCHEDULED, scheduled_at=T), [stage()], {A.ABORT}),
        (rollout(), [DONE, AWAITS_APPROVAL], {A.ABORT, A.PAUSE, A.APPROVE}),
        (rollout(), [DEPLOYING], {A.ABORT, A.PAUSE}),
        (rollout(), [FAILED_DEVICES], {A.ABORT, A.PAUSE, A.RETRY_FAILED}),
        (
            rollout(RolloutStatus.PAUSED, pause_cause=PauseCause.DEPLOY_UNKNOWN),
            [DEPLOYING, stage(2)],
            {A.ABORT, A.RESUME, A.SEND_AGAIN, A.CONFIRM_SENT, A.EDIT_STAGES},
        ),
        (
            rollout(RolloutStatus.PAUSED, pause_cause=PauseCause.DEPLOY_UNKNOWN),
            [REPORTING],  # the deploy was found meanwhile: nothing to send or confirm
            {A.ABORT, A.RESUME, A.ACCEPT_SHORTFALL},
        ),
        (
            rollout(RolloutStatus.PAUSED, pause_cause=PauseCause.DEADLINE),
            [FAILED_DEVICES],
            {A.ABORT, A.RESUME, A.ACCEPT_SHORTFALL, A.RETRY_FAILED},
        ),
        (
            rollout(RolloutStatus.PAUSED, pause_cause=PauseCause.PERSON),
            [SOAKING],
            {A.ABORT, A.RESUME},
        ),
        (rollout(RolloutStatus.COMPLETED), [DONE], set()),
        (rollout(RolloutStatus.ABORTED), [FAILED_DEVICES], set()),
    ],
    ids=[
        "draft",
        "scheduled",
        "approval",
        "deploying",
        "failed-devices",
        "deploy-unknown",
        "deploy-unknown-but-found",
        "deadline",
        "paused-soaking",
        "completed",
        "aborted",
    ],
)
def test_the_actions_each_state_allows(the_rollout, stages, expected):
    assert allowed_actions(rollout=the_rollout, stages=stages, user=None) == frozenset(expected)


def test_four_eyes_the_starter_cannot_approve_another_manager_can(release_manager, other_manager):
    four_eyes = rollout(require_different_approver=True, started_by=release_manager)
    stages = [DONE, AWAITS_APPROVAL]

    by_starter = allowed_actions(rollout=four_eyes, stages=stages, user=release_manager)
    by_other = allowed_actions(rollout=four_eyes, stages=stages, user=other_manager)

    assert by_starter == {A.ABORT, A.PAUSE}
    assert by_other == {A.ABORT, A.PAUSE, A.APPROVE}
    plain = rollout(started_by=release_manager)
    assert A.APPROVE in allowed_actions(rollout=plain, stages=stages, user=release_manager)


def test_a_user_without_the_operate_permission_gets_no_action(viewer, outsider):
    for user in (viewer, outsider):
        assert allowed_actions(rollout=rollout(), stages=[DONE, AWAITS_APPROVAL], user=user) == (
            frozenset()
        )


def test_the_starter_of_a_four_eyes_rollout_is_refused_with_permission_denied(release_manager):
    four_eyes = rollout(require_different_approver=True, started_by=release_manager)

    with pytest.raises(ActionRefused) as refused:
        action_check(
            rollout=four_eyes, action=A.APPROVE, user=release_manager, stages=[AWAITS_APPROVAL]
        )

    assert refused.value.code == "permission_denied"
    assert str(refused.value) == "This plan needs a different person than the one who started it."


@pytest.mark.parametrize(
    ("the_rollout", "stages", "action", "message"),
    [
        (
            rollout(RolloutStatus.PAUSED),
            [DEPLOYING],
            A.APPROVE,
            "Rollout 7 is paused: nothing to approve.",
        ),
        (
            rollout(),
            [DEPLOYING],
            A.APPROVE,
            "No stage is waiting for approval. Stage 1 is being deployed.",
        ),
        (rollout(RolloutStatus.PAUSED), [DEPLOYING], A.PAUSE, "Rollout 7 is paused, not running."),
        (rollout(), [DEPLOYING], A.RESUME, "Rollout 7 is running, not paused."),
        (
            rollout(RolloutStatus.COMPLETED),
            [DONE],
            A.ABORT,
            "Rollout 7 is completed: already over.",
        ),
        (
            rollout(RolloutStatus.COMPLETED),
            [DONE],
            A.RETRY_FAILED,
            "Rollout 7 is completed: nothing to retry.",
        ),
        (
            rollout(),
            [REPORTING],
            A.SEND_AGAIN,
            "Send again is not possible now: rollout 7 is running and waits for devices.",
        ),
        (
            rollout(RolloutStatus.PAUSED, pause_cause=PauseCause.DEADLINE),
            [REPORTING],
            A.CONFIRM_SENT,
            "It was sent is not possible now: rollout 7 is paused and waits for a person.",
        ),
        (
            rollout(RolloutStatus.COMPLETED),
            [DONE],
            A.ACCEPT_SHORTFALL,
            "Accept and continue is not possible now: rollout 7 is completed.",
        ),
    ],
)
def test_a_refused_action_says_what_the_rollout_does_instead(the_rollout, stages, action, message):
    with pytest.raises(ActionRefused) as refused:
        action_check(rollout=the_rollout, action=action, user=None, stages=stages)

    assert str(refused.value) == message
    assert refused.value.code == "conflict"


def test_an_allowed_action_passes_and_returns_the_stages_it_read():
    stages = [DONE, AWAITS_APPROVAL]

    assert action_check(rollout=rollout(), action=A.APPROVE, user=None, stages=stages) is stages
