"""People's actions on a rollout, in the test process: the rows and events each leaves, and
what each refuses. No worker runs here (work enqueued after commit never fires in a test
transaction); tests/process/ drives the same actions against a real worker and simulator."""

import pytest
from django.utils import timezone

from rollouts.engine.cohorts import cohort_filter
from rollouts.models import (
    ApiCall,
    CallKind,
    CallState,
    Event,
    EventKind,
    PauseCause,
    Rollout,
    RolloutStatus,
    StageStatus,
)
from rollouts.services.actions import (
    rollout_abort,
    rollout_launch,
    rollout_pause,
    rollout_resume,
    stage_accept_shortfall,
    stage_approve,
    stage_retry_failed,
)
from rollouts.services.errors import ActionRefused
from rollouts.services.events import TransitionConflict
from tests.factories import PlanFactory, PlanStageFactory

pytestmark = pytest.mark.django_db


def _plan(*, stages: int = 2, four_eyes: bool = False):
    plan = PlanFactory(require_different_approver=four_eyes)
    PlanStageFactory(plan=plan, position=1, target="tag", tag="canary")
    for position in range(2, stages + 1):
        PlanStageFactory(plan=plan, position=position, target="all")
    return plan


def _launch(user, **kwargs):
    plan = kwargs.pop("plan", None) or _plan()
    return rollout_launch(
        plan=plan, flow_id="73a7-1ft8", app_name="app", app_version="v2", actor=user, **kwargs
    )


def _first_stage_done(rollout):
    rollout.stages.filter(position=1).update(status=StageStatus.SUCCEEDED)


def _kinds(rollout) -> list[str]:
    return list(Event.objects.filter(rollout=rollout).order_by("pk").values_list("kind", flat=True))


def test_launch_creates_and_starts_in_one_go(release_manager):
    rollout = _launch(release_manager)

    rollout.refresh_from_db()
    assert rollout.status == RolloutStatus.RUNNING
    assert rollout.started_by == release_manager
    stages = list(rollout.stages.order_by("position"))
    assert [(s.position, s.target, s.status) for s in stages] == [
        (1, "tag", StageStatus.PENDING),
        (2, "all", StageStatus.PENDING),
    ]
    assert stages[0].approved_by == release_manager  # starting approves stage 1
    assert stages[1].approved_at is None
    assert _kinds(rollout) == [EventKind.CREATED, EventKind.STARTED]


def test_launch_for_later_schedules(release_manager):
    at = timezone.now() + timezone.timedelta(hours=2)
    rollout = _launch(release_manager, at=at)

    rollout.refresh_from_db()
    assert rollout.status == RolloutStatus.SCHEDULED
    assert rollout.scheduled_at == at
    assert _kinds(rollout) == [EventKind.CREATED, EventKind.SCHEDULED]


def test_a_launch_that_cannot_start_leaves_nothing_behind(release_manager):
    """Create and start are one transaction: a plan with no stages leaves no draft behind."""
    with pytest.raises(TransitionConflict, match="no stages"):
        _launch(release_manager, plan=PlanFactory())
    assert not Rollout.objects.exists()
    assert not Event.objects.exists()


def test_approve_is_refused_until_the_stage_before_succeeded(release_manager):
    rollout = _launch(release_manager)
    with pytest.raises(ActionRefused) as refused:
        stage_approve(rollout=rollout, actor=release_manager)
    assert refused.value.code == "conflict"
    assert rollout.stages.get(position=2).approved_at is None


def test_a_second_approval_of_the_same_stage_is_refused(release_manager, other_manager):
    rollout = _launch(release_manager)
    _first_stage_done(rollout)

    stage = stage_approve(rollout=rollout, actor=other_manager, comment="canary is clean")
    assert (stage.position, stage.approved_by, stage.approval_comment) == (
        2,
        other_manager,
        "canary is clean",
    )
    with pytest.raises(TransitionConflict):
        stage_approve(rollout=rollout, actor=release_manager)
    assert _kinds(rollout).count(EventKind.STAGE_APPROVED) == 1


def test_four_eyes_refuses_the_starter_and_takes_another(release_manager, other_manager):
    rollout = _launch(release_manager, plan=_plan(four_eyes=True))
    _first_stage_done(rollout)

    with pytest.raises(ActionRefused) as refused:
        stage_approve(rollout=rollout, actor=release_manager)
    assert refused.value.code == "permission_denied"
    assert (
        stage_approve(rollout=rollout, actor=other_manager, comment="ok").approved_by
        == other_manager
    )


def test_pause_says_who_and_resume_clears_the_cause(release_manager):
    rollout = _launch(release_manager)

    rollout_pause(rollout=rollout, actor=release_manager)
    rollout.refresh_from_db()
    assert (rollout.status, rollout.pause_cause) == (RolloutStatus.PAUSED, PauseCause.PERSON)
    assert rollout.status_reason == "Paused by rita; resume when ready."
    with pytest.raises(ActionRefused):  # paused already: nothing to pause
        rollout_pause(rollout=rollout, actor=release_manager)

    rollout_resume(rollout=rollout, actor=release_manager, reason="checked the canary")
    rollout.refresh_from_db()
    assert (rollout.status, rollout.pause_cause, rollout.status_reason) == (
        RolloutStatus.RUNNING,
        "",
        "",
    )
    resumed = Event.objects.get(rollout=rollout, kind=EventKind.RESUMED)
    assert (resumed.actor, resumed.reason) == (release_manager, "checked the canary")


def test_resume_gives_an_open_stage_its_full_deadline_and_accepts_failures_so_far(
    release_manager,
):
    rollout = _launch(release_manager)
    stage = rollout.stages.get(position=1)
    long_ago = timezone.now() - timezone.timedelta(hours=3)
    rollout.stages.filter(pk=stage.pk).update(
        status=StageStatus.MONITORING, deadline_at=long_ago, count_failed=3
    )
    rollout_pause(rollout=rollout, actor=release_manager, reason="look first")

    rollout_resume(rollout=rollout, actor=release_manager)
    stage.refresh_from_db()
    assert stage.failures_accepted == 3
    expected = timezone.now() + timezone.timedelta(minutes=stage.deadline_minutes)
    assert abs((stage.deadline_at - expected).total_seconds()) < 30


def test_abort_needs_a_reason_and_cancels_queued_calls(release_manager):
    rollout = _launch(release_manager)
    stage = rollout.stages.get(position=1)
    call = ApiCall.objects.create(
        rollout=rollout, stage=stage, kind=CallKind.DEPLOY, state=CallState.QUEUED
    )

    with pytest.raises(ActionRefused) as refused:
        rollout_abort(rollout=rollout, actor=release_manager, reason="  ")
    assert (refused.value.code, refused.value.field) == ("invalid", "reason")

    rollout_abort(rollout=rollout, actor=release_manager, reason="bad build")
    rollout.refresh_from_db()
    call.refresh_from_db()
    assert (rollout.status, rollout.status_reason) == (RolloutStatus.ABORTED, "bad build")
    assert call.state == CallState.CANCELLED
    aborted = Event.objects.get(rollout=rollout, kind=EventKind.ABORTED)
    assert aborted.details["calls_cancelled"] == 1


def test_an_abort_that_loses_the_race_quotes_the_status_the_rollout_has_now(release_manager):
    rollout = _launch(release_manager)
    Rollout.objects.filter(pk=rollout.pk).update(status=RolloutStatus.COMPLETED)  # the engine

    with pytest.raises(TransitionConflict) as conflict:
        rollout_abort(rollout=rollout, actor=release_manager, reason="too late")  # read running

    assert str(conflict.value) == f"Rollout {rollout.pk} is completed: already over."
    assert Rollout.objects.get(pk=rollout.pk).status == RolloutStatus.COMPLETED
    assert not Event.objects.filter(rollout=rollout, kind=EventKind.ABORTED).exists()


def test_accepting_a_shortfall_needs_a_reason(release_manager):
    rollout = _launch(release_manager)
    with pytest.raises(ActionRefused) as refused:
        stage_accept_shortfall(rollout=rollout, actor=release_manager, reason="")
    assert refused.value.field == "reason"
    assert not Event.objects.filter(kind=EventKind.SHORTFALL_ACCEPTED).exists()


def test_retry_queues_one_call_for_the_failed_devices_only(release_manager):
    rollout = _launch(release_manager)
    stage = rollout.stages.get(position=1)
    with pytest.raises(ActionRefused, match="not open"):
        stage_retry_failed(rollout=rollout, stage=stage, actor=release_manager)

    cohort = cohort_filter(project=rollout.project, stage=stage, earlier=[])
    rollout.stages.filter(pk=stage.pk).update(
        status=StageStatus.MONITORING, count_failed=2, cohort=cohort.to_json()
    )
    stage.refresh_from_db()
    stage_retry_failed(rollout=rollout, stage=stage, actor=release_manager)

    call = ApiCall.objects.get(rollout=rollout, kind=CallKind.RETRY)
    assert call.state == CallState.QUEUED
    devices_filter = call.request["body"]["devices_filter"]
    assert devices_filter["filters"] == [
        {"type": "tag", "value": "canary", "operand": "is"},
        {"type": "update_status", "value": "failed", "operand": "is"},
    ]
    assert call.request["body"]["user_token"] == "***"  # never stored
    event = Event.objects.get(rollout=rollout, kind=EventKind.RETRY_REQUESTED)
    assert event.details == {"api_call": call.pk, "failed_devices": 2, "pass": 2}
