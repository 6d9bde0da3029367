"""What people do to a rollout: create, start, approve, pause, resume, abort, retry.

Each action checks the state it needs with a conditional update and writes one event; a
second click, a second manager or a second worker gets a TransitionConflict, never a repeat.
Work for the engine is enqueued after commit.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from rollouts.engine.calls import call_queue
from rollouts.engine.cohorts import deploy_filter, stage_deploy_request
from rollouts.engine.lifecycle import (
    OPEN_ROLLOUT_STATUSES,
    Action,
    action_check,
    retryable_stages,
    stage_current,
)
from rollouts.engine.passes import pass_begin_retry
from rollouts.engine.pauses import devices_with_queued_update, rollout_pause_for
from rollouts.engine.recovery import calls_requeue_failed
from rollouts.models import (
    ApiCall,
    CallKind,
    CallState,
    EventKind,
    PauseCause,
    Plan,
    Rollout,
    RolloutStage,
    RolloutStatus,
    StageStatus,
)

# Approving, a person's action too, lives in its own module (with the evidence it keeps).
from rollouts.services.approvals import NumbersChanged, stage_approve  # noqa: F401
from rollouts.services.errors import ActionRefused
from rollouts.services.events import TransitionConflict, event_record, transition
from rollouts.services.fleet_names import names_check
from rollouts.services.overlap import overlap_guard, overlap_record, project_start_lock
from rollouts.services.plans import plan_version_current


def _enqueue_advance(rollout_id: int) -> None:
    from rollouts.tasks import rollout_advance_task

    transaction.on_commit(lambda: rollout_advance_task.delay(rollout_id))


def rollout_create(
    *,
    plan: Plan,
    flow_id: str,
    app_name: str,
    app_version: str,
    comment: str = "",
    actor,
) -> Rollout:
    with transaction.atomic():
        rollout = Rollout.objects.create(
            plan=plan,
            project=plan.project,
            flow_id=flow_id,
            app_name=app_name,
            app_version=app_version,
            comment=comment,
            require_different_approver=four_eyes_for(plan),
            created_by=actor,
        )
        event_record(rollout=rollout, kind=EventKind.CREATED, actor=actor, to_status=rollout.status)
    return rollout


def rollout_launch(
    *,
    plan: Plan,
    flow_id: str,
    app_name: str,
    app_version: str,
    comment: str = "",
    actor,
    start: bool = True,
    at: datetime | None = None,
    overlap_reason: str = "",
) -> Rollout:
    """Create a rollout and (unless `start` is False) start or schedule it, in one transaction:
    the page and the REST API both launch rollouts through here. A start is refused (400) when
    the plan names a group the fleet inventory does not know, and (409) when it overlaps an
    active rollout, unless a release manager gives `overlap_reason` (services/overlap.py)."""
    if start:  # refused before a draft is made (the overlap guard rolls the draft back)
        start_checks(plan=plan)
    with transaction.atomic():
        rollout = rollout_create(
            plan=plan,
            flow_id=flow_id,
            app_name=app_name,
            app_version=app_version,
            comment=comment,
            actor=actor,
        )
        if start:
            _start(rollout=rollout, actor=actor, at=at, reason=overlap_reason)
    return rollout


def start_checks(*, plan: Plan) -> None:
    """Before a start, outside its transaction (it may ask Upswift): the plan's names against
    the fleet inventory, 400 naming an unknown group."""
    stages = list(plan.stages.order_by("position"))
    names = names_check(project=plan.project, stages=stages, live=True)
    if names.errors:
        raise ActionRefused(names.sentence(), code="invalid", field="plan")


def four_eyes_for(plan: Plan) -> bool:
    """Four-eyes holds for a plan's rollouts when the plan says so or the site does."""
    return bool(plan.require_different_approver or settings.ROLLOUT_FOUR_EYES)


def rollout_start(
    *, rollout: Rollout, actor, at: datetime | None = None, overlap_reason: str = ""
) -> Rollout:
    """Start now, or schedule for `at`. The plan's stages are copied now (the rollout records
    which plan version). The person starting the rollout approves its first stage, except under
    four-eyes: then stage 1 waits for the approval of a second person, like every stage."""
    start_checks(plan=rollout.plan)
    return _start(rollout=rollout, actor=actor, at=at, reason=overlap_reason)


def _start(*, rollout: Rollout, actor, at: datetime | None, reason: str) -> Rollout:
    """`rollout_start` once `start_checks` passed. The overlap guard (409 naming the other
    rollout, unless a release manager gives `reason`) runs under the project's start lock, so
    two starts that overlap each other cannot both pass it."""
    scheduled = at is not None and at > timezone.now()
    to = RolloutStatus.SCHEDULED if scheduled else RolloutStatus.RUNNING
    with transaction.atomic():
        project_start_lock(rollout.project)
        overlaps = overlap_guard(
            plan=rollout.plan, actor=actor, reason=reason, exclude_id=rollout.pk
        )
        overlap_record(rollout=rollout, overlaps=overlaps, actor=actor, reason=reason)
        plan = Plan.objects.select_for_update().get(pk=rollout.plan_id)
        four_eyes = four_eyes_for(plan)
        version = plan_version_current(plan)
        if not transition(
            rollout,
            allowed=(RolloutStatus.DRAFT,),
            to=to,
            scheduled_at=at if scheduled else None,
            started_at=None if scheduled else timezone.now(),
            started_by=actor,
            require_different_approver=four_eyes,
            plan_version=version,
        ):
            raise TransitionConflict(f"Rollout {rollout.pk} is {rollout.status}, not a draft.")
        plan_stages = list(plan.stages.order_by("position"))
        if not plan_stages:
            raise TransitionConflict("The plan has no stages.")
        RolloutStage.objects.bulk_create(
            RolloutStage(rollout=rollout, position=i, **s.spec())
            for i, s in enumerate(plan_stages, start=1)
        )
        first = rollout.stages.get(position=1)
        if four_eyes:
            RolloutStage.objects.filter(pk=first.pk).update(approval_required=True)
        else:
            RolloutStage.objects.filter(pk=first.pk).update(
                approved_by=actor, approved_at=timezone.now(), approval_comment="rollout started"
            )
        event_record(
            rollout=rollout,
            kind=EventKind.SCHEDULED if scheduled else EventKind.STARTED,
            actor=actor,
            from_status=RolloutStatus.DRAFT,
            to_status=to,
            details={
                **({"scheduled_at": at.isoformat()} if scheduled else {}),
                "plan_version": version.number,
                "four_eyes": four_eyes,
            },
        )
        if not scheduled:
            _enqueue_advance(rollout.pk)
    return rollout


def rollout_pause(*, rollout: Rollout, actor, reason: str = "") -> Rollout:
    action_check(rollout=rollout, action=Action.PAUSE, user=actor)
    who = actor.get_username() if getattr(actor, "is_authenticated", False) else "a person"
    reason = reason.strip() or f"Paused by {who}; resume when ready."
    if not rollout_pause_for(rollout=rollout, cause=PauseCause.PERSON, reason=reason, actor=actor):
        raise TransitionConflict(f"Rollout {rollout.pk} is no longer running.")
    return rollout


def rollout_resume(*, rollout: Rollout, actor, reason: str = "", event_details=None) -> Rollout:
    """Carry on: failures so far are accepted (the failure gate counts only new ones), an open
    stage gets its full deadline again (wait longer), stopped calls get a new attempt, and a
    deploy whose outcome is unknown is checked again."""
    stages = action_check(rollout=rollout, action=Action.RESUME, user=actor)
    with transaction.atomic():
        if not transition(
            rollout,
            allowed=(RolloutStatus.PAUSED,),
            to=RolloutStatus.RUNNING,
            status_reason="",
            pause_cause="",
        ):
            raise TransitionConflict(f"Rollout {rollout.pk} is {rollout.status}, not paused.")
        now = timezone.now()
        minute = settings.ROLLOUT_SOAK_MINUTE_SECONDS
        for stage in stages:
            if stage.status == StageStatus.MONITORING:
                RolloutStage.objects.filter(pk=stage.pk).update(
                    failures_accepted=stage.count_failed + stage.count_aborted,
                    deadline_at=now + timedelta(seconds=stage.deadline_minutes * minute),
                )
        ApiCall.objects.filter(
            rollout=rollout, state=CallState.QUEUED, kind=CallKind.DEPLOY
        ).update(checks=0, not_before=None)
        requeued = calls_requeue_failed(rollout=rollout)
        event_record(
            rollout=rollout,
            kind=EventKind.RESUMED,
            actor=actor,
            from_status=RolloutStatus.PAUSED,
            to_status=RolloutStatus.RUNNING,
            reason=reason,
            details={"calls_requeued": requeued, **(event_details or {})},
        )
        _enqueue_advance(rollout.pk)
    return rollout


def stage_accept_shortfall(*, rollout: Rollout, actor, reason: str) -> RolloutStage:
    """Close the open stage below its success threshold, with the person's reason and the
    numbers they saw as evidence, and carry on with the next stage."""
    from rollouts.engine.gates import stage_numbers, stage_succeed

    if not reason.strip():
        raise ActionRefused(
            "Say why the stage is accepted below its threshold.", code="invalid", field="reason"
        )
    stages = action_check(rollout=rollout, action=Action.ACCEPT_SHORTFALL, user=actor)
    stage = stage_current(stages)
    numbers = stage_numbers(stage)
    with transaction.atomic():
        if not stage_succeed(
            rollout=rollout,
            stage=stage,
            note=f"Accepted below its threshold: {reason}",
            shortfall_accepted_by=actor,
            shortfall_accepted_at=timezone.now(),
            shortfall_reason=reason,
        ):
            raise TransitionConflict(f"Stage {stage.position} is no longer open.")
        event_record(
            rollout=rollout,
            stage=stage,
            kind=EventKind.SHORTFALL_ACCEPTED,
            actor=actor,
            reason=reason,
            details={"numbers": numbers},
        )
        rollout_resume(
            rollout=rollout, actor=actor, reason=f"shortfall of stage {stage.position} accepted"
        )
    stage.refresh_from_db()
    return stage


def stage_deploy_resend(*, rollout: Rollout, actor, reason: str = "") -> RolloutStage:
    """The person decides the deploy whose answer was lost did not land: send it again."""
    stages = action_check(rollout=rollout, action=Action.SEND_AGAIN, user=actor)
    stage = stage_current(stages)
    with transaction.atomic():
        waiting = ApiCall.objects.filter(
            stage=stage, kind=CallKind.DEPLOY, state=CallState.QUEUED
        ).update(precheck="", checks=0, not_before=None)
        event_record(
            rollout=rollout,
            stage=stage,
            kind=EventKind.DEPLOY_RESEND,
            actor=actor,
            reason=reason,
            details={"calls": waiting},
        )
        rollout_resume(rollout=rollout, actor=actor, reason="send the deploy again")
    return stage


def stage_deploy_confirm(*, rollout: Rollout, actor, reason: str = "") -> RolloutStage:
    """The person knows Upswift has the deploy whose answer was lost: nothing is sent again."""
    from rollouts.engine.calls import deploy_accepted

    stages = action_check(rollout=rollout, action=Action.CONFIRM_SENT, user=actor)
    stage = stage_current(stages)
    with transaction.atomic():
        ApiCall.objects.filter(stage=stage, kind=CallKind.DEPLOY, state=CallState.QUEUED).update(
            state=CallState.CANCELLED,
            completed_at=timezone.now(),
            error_message="not sent: a person confirmed the earlier attempt landed",
        )
        if not deploy_accepted(
            rollout=rollout,
            stage=stage,
            call=None,
            kind=EventKind.DEPLOY_CONFIRMED,
            actor=actor,
        ):
            raise TransitionConflict(f"Stage {stage.position} is no longer being deployed.")
        rollout_resume(rollout=rollout, actor=actor, reason=reason or "the deploy was sent")
    return stage


def rollout_abort(*, rollout: Rollout, actor, reason: str) -> Rollout:
    """Stop for good. Upswift v1 cannot cancel queued updates: record which devices may still
    apply one."""
    if not reason.strip():
        raise ActionRefused("Say why the rollout is aborted.", code="invalid", field="reason")
    action_check(rollout=rollout, action=Action.ABORT, user=actor)
    old = rollout.status
    with transaction.atomic():
        if not transition(
            rollout,
            allowed=OPEN_ROLLOUT_STATUSES,
            to=RolloutStatus.ABORTED,
            status_reason=reason,
            pause_cause="",
            finished_at=timezone.now(),
        ):
            # Quote the status it has now (the engine may have just completed it), not the
            # one this request read before.
            rollout.refresh_from_db(fields=["status"])
            raise TransitionConflict(f"Rollout {rollout.pk} is {rollout.status}: already over.")
        cancelled = ApiCall.objects.filter(rollout=rollout, state=CallState.QUEUED).update(
            state=CallState.CANCELLED, completed_at=timezone.now(), error_message="aborted"
        )
        event_record(
            rollout=rollout,
            kind=EventKind.ABORTED,
            actor=actor,
            from_status=old,
            to_status=RolloutStatus.ABORTED,
            reason=reason,
            details={
                "calls_cancelled": cancelled,
                "devices_with_queued_update": devices_with_queued_update(rollout),
            },
        )
    return rollout


def stage_retry_failed(*, rollout: Rollout, stage: RolloutStage, actor) -> RolloutStage:
    """Deploy again to the stage's devices whose last update failed (within its cohort)."""
    if rollout.status in (RolloutStatus.RUNNING, RolloutStatus.PAUSED):
        if stage.status != StageStatus.MONITORING:
            raise ActionRefused(f"Stage {stage.position} is {stage.status}, not open.")
        if not stage.count_failed:
            raise ActionRefused(f"Stage {stage.position} has no failed devices.")
    stages = action_check(rollout=rollout, action=Action.RETRY_FAILED, user=actor)
    if not any(s.pk == stage.pk for s in retryable_stages(rollout=rollout, stages=stages)):
        raise ActionRefused(f"Stage {stage.position} has nothing to retry.")
    request = stage_deploy_request(
        rollout=rollout,
        stage=stage,
        devices_filter=deploy_filter(
            cohort=stage.cohort_filter(), online_only=stage.online_only, update_status="failed"
        ),
    )
    with transaction.atomic():
        retry = pass_begin_retry(stage=stage, actor=actor)  # the pass before keeps its numbers
        call = call_queue(rollout=rollout, stage=stage, kind=CallKind.RETRY, request=request)
        event_record(
            rollout=rollout,
            stage=stage,
            kind=EventKind.RETRY_REQUESTED,
            actor=actor,
            details={
                "api_call": call.pk,
                "failed_devices": stage.count_failed,
                "pass": retry.number,
            },
        )
        if rollout.status == RolloutStatus.PAUSED:
            rollout_resume(rollout=rollout, actor=actor, reason="retry failed devices")
        else:
            _enqueue_advance(rollout.pk)
        # The retried devices count again: the gate sees them on the read-back after the call.
        RolloutStage.objects.filter(pk=stage.pk).update(failures_accepted=0)
    return stage
