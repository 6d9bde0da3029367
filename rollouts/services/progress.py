"""Reading a stage's progress back from the API: devices_details, paged, within the budget.

Each device's `updates[]` says which update this stage sent it (matched on the stage's marker
and the release version): `update_status` alone cannot tell, since it is the device's last
update of any release. One pass is one ApiCall row (kind poll) with the number of pages.
"""

import time
from collections import Counter
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from rollouts.models import (
    ApiCall,
    CallKind,
    CallState,
    DeviceProgress,
    DeviceStatus,
    EventKind,
    Rollout,
    RolloutStage,
)
from rollouts.services.budget import budget_acquire, budget_cooldown
from rollouts.services.client import upswift_client
from rollouts.services.cohorts import device_matches, stage_update_of
from rollouts.services.events import event_record
from rollouts.upswift_api import ApiRequest, RateLimited, UpswiftError


class OutOfBudget(Exception):
    def __init__(self, wait: float) -> None:
        super().__init__(f"API budget spent; next call in {wait:.1f}s")
        self.wait = wait


class ScanFailed(Exception):
    def __init__(self, message: str, *, cause: Exception | None = None) -> None:
        super().__init__(message)
        self.cause = cause


def _recorded_pass(
    *,
    rollout: Rollout,
    stage: RolloutStage | None,
    path: str,
    pages_of: Callable[..., Iterator[dict]],
    groups: list[str],
    **options,
) -> Iterator[dict]:
    """Page through a read call for the project (or each of `groups`), one poll row for the
    pass, each page taken from the shared budget. Raises ScanFailed."""
    call = ApiCall.objects.create(
        rollout=rollout,
        stage=stage,
        kind=CallKind.POLL,
        state=CallState.SENDING,
        sent_at=timezone.now(),
        request={"method": "GET", "path": path, "body": {}},
    )
    pages = 0

    def before_send(request: ApiRequest) -> None:
        nonlocal pages
        wait = budget_acquire()
        if wait > 0:
            raise OutOfBudget(wait)
        if pages == 0:
            call.request = request.redacted()
        pages += 1

    started = time.monotonic()
    try:
        for scope in [{"group_name": g} for g in groups] or [{}]:
            yield from pages_of(
                project_name=rollout.project, before_send=before_send, **scope, **options
            )
    except (UpswiftError, OutOfBudget) as exc:
        if isinstance(exc, RateLimited):
            budget_cooldown(seconds=exc.retry_after or 30.0)
        message = getattr(exc, "error_message", "") or str(exc)
        status = getattr(exc, "status", None)
        _finish(call, pages, started, state=CallState.FAILED, error=message, status=status)
        _poll_failure_event(call, message=message, status=status)
        raise ScanFailed(message, cause=exc) from exc
    _finish(call, pages, started, state=CallState.SUCCEEDED, status=200)


def _scan(*, rollout: Rollout, stage: RolloutStage | None, groups: list[str]) -> Iterator[dict]:
    """Every device of the project (or of `groups`) with its updates: devices_details."""
    return _recorded_pass(
        rollout=rollout,
        stage=stage,
        path="/devices_details",
        pages_of=upswift_client().iter_devices_details,
        groups=groups,
        page_size=settings.UPSWIFT_PAGE_SIZE,
    )


def _poll_failure_event(call: ApiCall, *, message: str, status: int | None) -> None:
    """Show read-back trouble in the history when it starts, not on every failed poll."""
    previous = (
        ApiCall.objects.filter(rollout_id=call.rollout_id, kind=CallKind.POLL, id__lt=call.pk)
        .order_by("-id")
        .values_list("state", flat=True)
        .first()
    )
    if previous == CallState.FAILED:
        return
    event_record(
        rollout=call.rollout_id,
        stage=call.stage,
        kind=EventKind.API_ERROR,
        reason=f"Reading progress failed: {message}",
        details={"api_call": call.pk, "kind": CallKind.POLL, "status": status},
    )


def _finish(call: ApiCall, pages: int, started: float, *, state, error="", status=None) -> None:
    ApiCall.objects.filter(pk=call.pk).update(
        request=call.request,
        state=state,
        pages=pages,
        http_status=status,
        error_message=error,
        duration_ms=(time.monotonic() - started) * 1000,
        completed_at=timezone.now(),
    )


def project_groups_read(*, rollout: Rollout) -> set[str]:
    """The project's groups, as seen on its devices (Upswift has no call that lists groups)."""
    return {d["group"] for d in _scan(rollout=rollout, stage=None, groups=[]) if d.get("group")}


def stage_marker_seen(*, rollout: Rollout, stage: RolloutStage) -> bool:
    """Whether any device already carries this stage's update (a deploy that did land).
    Raises ScanFailed when the read-back fails and it cannot be told."""
    marker = rollout.marker(stage)
    for device in _scan(rollout=rollout, stage=stage, groups=_scan_groups(stage)):
        if stage_update_of(device, marker=marker, version=rollout.app_version).update_id:
            return True
    return False


def _scan_groups(stage: RolloutStage) -> list[str]:
    cohort = stage.cohort_filter()
    return list(cohort.groups) if stage.target == "groups" else []


def stage_poll(*, rollout: Rollout, stage: RolloutStage) -> bool:
    """Read the stage's cohort back, store device rows and counts. False if it could not."""
    marker = rollout.marker(stage)
    cohort = stage.cohort_filter()
    rows: dict[str, DeviceProgress] = {}
    try:
        for device in _scan(rollout=rollout, stage=stage, groups=_scan_groups(stage)):
            update = stage_update_of(device, marker=marker, version=rollout.app_version)
            member = device_matches(cohort, device)
            if member is False or (member is None and update.status == DeviceStatus.NOT_REACHED):
                continue
            rows[device["device_uuid"]] = DeviceProgress(
                stage=stage,
                device_uuid=device["device_uuid"],
                device_name=str(device.get("device_name", ""))[:200],
                group=str(device.get("group") or "")[:200],
                status=update.status,
                update_id=update.update_id,
            )
    except ScanFailed:
        return False
    not_reached = [r for r in rows.values() if r.status == DeviceStatus.NOT_REACHED]
    if stage.online_only and not_reached:
        try:
            online = _online_devices(rollout=rollout, stage=stage)
        except ScanFailed:
            return False
        for row in not_reached:
            row.online = row.device_uuid in online
    counts = Counter(row.status for row in rows.values())
    with transaction.atomic():
        DeviceProgress.objects.bulk_create(
            rows.values(),
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["stage", "device_uuid"],
            update_fields=["device_name", "group", "online", "status", "update_id", "updated_at"],
        )
        RolloutStage.objects.filter(pk=stage.pk).update(
            devices_total=len(rows),
            count_pending=counts[DeviceStatus.PENDING],
            count_in_progress=counts[DeviceStatus.IN_PROGRESS],
            count_success=counts[DeviceStatus.SUCCESS],
            count_failed=counts[DeviceStatus.FAILED],
            count_aborted=counts[DeviceStatus.ABORTED],
            count_not_reached=counts[DeviceStatus.NOT_REACHED],
            last_polled_at=timezone.now(),
        )
    stage.refresh_from_db()
    return True


def _online_devices(*, rollout: Rollout, stage: RolloutStage) -> set[str]:
    """The uuids of the cohort's devices that are online now (get_devices_state, paged)."""
    states = _recorded_pass(
        rollout=rollout,
        stage=stage,
        path="/get_devices_state",
        pages_of=upswift_client().iter_devices_state,
        groups=_scan_groups(stage),
    )
    return {d.get("device_uuid") for d in states if d.get("device_status") == "online"}


def stage_poll_due(stage: RolloutStage) -> bool:
    if stage.last_polled_at is None:
        return True
    age = (timezone.now() - stage.last_polled_at).total_seconds()
    return age >= settings.ROLLOUT_POLL_SECONDS
