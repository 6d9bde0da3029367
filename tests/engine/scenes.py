"""Shared steps of the engine's fast service tests: rollouts built through the services, and
what the simulator saw (its call log is the truth about what was sent)."""

import itertools

from django.utils import timezone

from rollouts.engine.calls import call_queue
from rollouts.engine.cohorts import stage_deploy_request
from rollouts.engine.steps import stage_begin
from rollouts.models import ApiCall, CallKind, CallState, Event, RolloutStage
from rollouts.services.actions import rollout_create, rollout_start
from rollouts.services.plans import plan_create
from tests.factories import UserFactory
from upswift import DevicesFilter

_plans = itertools.count(1)


def started(stages, *, user=None, require_different_approver=False, comment=""):
    """A running rollout of a new plan (its first stage approved by the starter)."""
    user = user or UserFactory()
    # Only an admin sets a plan's four-eyes flag (rollouts/services/plans.py).
    admin = UserFactory(username="plan-admin", is_superuser=True)
    plan = plan_create(
        name=f"plan {next(_plans)}",
        project="Demo",
        stages=stages,
        require_different_approver=require_different_approver,
        actor=admin if require_different_approver else user,
    )
    rollout = rollout_create(
        plan=plan,
        flow_id="73a7-1ft8",
        app_name="default_app",
        app_version="v9.1",
        comment=comment,
        actor=user,
    )
    rollout_start(rollout=rollout, actor=user)
    rollout.refresh_from_db()
    return rollout, list(rollout.stages.order_by("position"))


def begun(stage_spec=None, **kwargs):
    """A running rollout whose first stage is deploying, its deploy call queued."""
    rollout, stages = started([stage_spec or {"target": "all"}], **kwargs)
    stage = stages[0]
    assert stage_begin(rollout=rollout, stage=stage, earlier=[])
    return rollout, stage, deploy_call(stage)


def extra_call(rollout, stage, kind, groups=()) -> ApiCall:
    """A sweep or retry call of a stage (to `groups`, which may not exist; [] = all)."""
    devices = DevicesFilter(project="Demo", groups=list(groups))
    request = stage_deploy_request(rollout=rollout, stage=stage, devices_filter=devices)
    return call_queue(rollout=rollout, stage=stage, kind=kind, request=request)


def deploy_call(stage) -> ApiCall:
    """The stage's newest deploy call."""
    return ApiCall.objects.filter(stage=stage, kind=CallKind.DEPLOY).order_by("-id").first()


def deploy_attempts(stage) -> list[ApiCall]:
    return list(ApiCall.objects.filter(stage=stage, kind=CallKind.DEPLOY).order_by("id"))


def queued(stage, kind=None) -> list[ApiCall]:
    calls = ApiCall.objects.filter(stage=stage, state=CallState.QUEUED)
    if kind:
        calls = calls.filter(kind=kind)
    return list(calls.order_by("id"))


def make_due(stage) -> None:
    """The stage's queued calls are due now (their backoff or settle period is over)."""
    ApiCall.objects.filter(stage=stage, state=CallState.QUEUED).update(not_before=None)


def sim_deploys(sim, since: int = 0) -> list[dict]:
    return [c for c in sim.calls(since) if c["path"].endswith("/deploy_update")]


def sim_reads(sim, since: int = 0) -> list[dict]:
    return [c for c in sim.calls(since) if c["path"].endswith("/devices_details")]


def events(rollout, kind=None) -> list[Event]:
    found = Event.objects.filter(rollout=rollout)
    if kind:
        found = found.filter(kind=kind)
    return list(found.order_by("id"))


def fresh(obj):
    obj.refresh_from_db()
    return obj


def monitoring(stage, **counts) -> RolloutStage:
    """Put a begun stage in monitoring with the given counts (as after a read-back)."""
    now = timezone.now()
    RolloutStage.objects.filter(pk=stage.pk).update(
        status="monitoring", deployed_at=now, last_polled_at=now, **counts
    )
    return fresh(stage)
