"""Sweeps: reach the cohort devices the stage's deploy missed, while the stage is open.

A device is missed when it was offline at an online-only deploy, or in the middle of another
update (the deploy never interrupts one). Each sweep is one call for one device
(`specific_device is <uuid>`), guarded like the deploy and also by `update_status is_not
pending`, so a sweep that lands twice queues nothing twice. A device is swept at most once per
ROLLOUT_SWEEP_SECONDS, and at most SWEEP_BATCH devices per pass, to stay within the budget.
"""

from dataclasses import replace
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from rollouts.engine.calls import call_queue
from rollouts.engine.cohorts import deploy_filter, stage_deploy_request
from rollouts.models import CallKind, DeviceStatus, EventKind, Rollout, RolloutStage
from rollouts.services.events import event_record
from upswift import Filter

SWEEP_BATCH = 20


def _swept_recently(stage: RolloutStage) -> set[str]:
    since = timezone.now() - timedelta(seconds=settings.ROLLOUT_SWEEP_SECONDS)
    recent = stage.api_calls.filter(kind=CallKind.SWEEP, created_at__gte=since)
    uuids = set()
    for request in recent.values_list("request", flat=True):
        for f in request["body"]["devices_filter"]["filters"]:
            if f["type"] == "specific_device" and f["operand"] == "is":
                uuids.add(f["value"])
    return uuids


def stage_sweep(*, rollout: Rollout, stage: RolloutStage) -> int:
    """Queue a sweep call for each missed device that can take the update now. The stage's
    deploy counts as the first reach: no device is swept within ROLLOUT_SWEEP_SECONDS of it
    (a deploy whose answer was lost may show on devices late)."""
    since_deploy = timezone.now() - timedelta(seconds=settings.ROLLOUT_SWEEP_SECONDS)
    if stage.deployed_at and stage.deployed_at > since_deploy:
        return 0
    missed = stage.devices.filter(status=DeviceStatus.NOT_REACHED)
    if stage.online_only:
        missed = missed.filter(online=True)
    uuids = list(
        missed.exclude(device_uuid__in=_swept_recently(stage))
        .order_by("device_uuid")
        .values_list("device_uuid", flat=True)[:SWEEP_BATCH]
    )
    if not uuids:
        return 0
    cohort = stage.cohort_filter()
    with transaction.atomic():
        for uuid in uuids:
            devices_filter = deploy_filter(
                cohort=replace(
                    cohort, filters=[*cohort.filters, Filter("specific_device", "is", uuid)]
                ),
                online_only=stage.online_only,
                busy_statuses=("in_progress", "pending"),
            )
            request = stage_deploy_request(
                rollout=rollout, stage=stage, devices_filter=devices_filter
            )
            call_queue(rollout=rollout, stage=stage, kind=CallKind.SWEEP, request=request)
        event_record(
            rollout=rollout,
            stage=stage,
            kind=EventKind.SWEEP,
            details={"devices": uuids},
        )
    return len(uuids)
