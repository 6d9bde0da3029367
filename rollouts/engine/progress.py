"""Reading a stage's progress back from the API: devices_details, paged, within the budget.

Each device's `updates[]` says which update this stage sent it (matched on the stage's marker
and the release version): `update_status` alone cannot tell, since it is the device's last
update of any release. One pass is one ApiCall row (kind poll) with the number of pages.
"""

import contextlib
import time
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from rollouts.engine import readback
from rollouts.engine.budget import budget_acquire, budget_cooldown
from rollouts.engine.client import upswift_client
from rollouts.engine.cohorts import device_matches, stage_update_of
from rollouts.engine.device_rows import Row, device_row_problem, rows_changed, rows_upsert
from rollouts.engine.passes import sample_record
from rollouts.engine.read_failures import poll_failure_event, read_refused, token_rejected
from rollouts.models import (
    ApiCall,
    CallKind,
    CallState,
    DeviceStatus,
    EventKind,
    Rollout,
    RolloutStage,
)
from rollouts.services.events import event_record
from upswift import ApiRequest, RateLimited, UpswiftError


class OutOfBudget(Exception):
    def __init__(self, wait: float) -> None:
        super().__init__(f"API budget spent; next call in {wait:.1f}s")
        self.wait = wait


class ScanFailed(Exception):
    def __init__(self, message: str, *, cause: Exception | None = None) -> None:
        super().__init__(message)
        self.cause = cause


class ScanPaused(ScanFailed):
    """The API budget ran out mid-pass (or Upswift answered 429: `cause`): `cursor` says where
    to go on, `wait` how soon."""

    def __init__(self, *, cursor: dict, wait: float, cause: Exception | None = None) -> None:
        super().__init__(f"API budget spent; the pass goes on in {wait:.0f}s", cause=cause)
        self.cursor = cursor
        self.wait = wait


def _recorded_pass(
    *,
    rollout: Rollout,
    stage: RolloutStage | None,
    path: str,
    pages_of: Callable[..., Iterator[dict]],
    groups: list[str],
    cursor: dict | None = None,
    **options,
) -> Iterator[dict]:
    """Page through a read call for the project (or each of `groups`), one poll row for the
    pass, each page taken from the shared budget. Raises ScanFailed, or ScanPaused with the
    cursor to resume from (`cursor`, for devices_details) when the budget runs out or Upswift
    answers 429: the pages already read are kept. The row is written once a page is granted,
    so a tick that finds the budget spent leaves no empty pass behind."""
    call = ApiCall(
        rollout=rollout,
        stage=stage,
        kind=CallKind.POLL,
        state=CallState.SENDING,
        request={"method": "GET", "path": path, "body": {}},
    )
    pages = 0
    position = {"scope": 0, "offset": 0}
    position.update((k, v) for k, v in (cursor or {}).items() if k in position)

    def before_send(request: ApiRequest) -> None:
        nonlocal pages
        position["offset"] = request.body.get("offset", 0)
        wait = budget_acquire()
        if wait > 0:
            raise OutOfBudget(wait)
        if pages == 0:
            call.request = request.redacted()
            call.sent_at = timezone.now()
            call.save(force_insert=True)
        pages += 1

    started = time.monotonic()
    scopes = [{"group_name": g} for g in groups] or [{}]
    try:
        for index in range(position["scope"], len(scopes)):
            start = position["offset"] if index == position["scope"] else 0
            position.update(scope=index, offset=start)
            resume = {"start_offset": start} if start else {}
            yield from pages_of(
                project_name=rollout.project,
                before_send=before_send,
                **scopes[index],
                **options,
                **resume,
            )
    except GeneratorExit:  # the reader stopped early: it found what it looked for
        note = f"stopped after {pages} pages: the reader had its answer"
        _finish(call, pages, started, state=CallState.SUCCEEDED, error=note, status=200)
        raise
    except OutOfBudget as exc:
        if pages:
            note = f"paused by the API budget after {pages} pages; goes on at {position}"
            _finish(call, pages, started, state=CallState.SUCCEEDED, error=note, status=200)
        raise ScanPaused(cursor=dict(position), wait=exc.wait) from exc
    except RateLimited as exc:
        wait = exc.retry_after or 30.0
        budget_cooldown(seconds=wait)
        note = f"{exc} after {pages - 1} pages; goes on at {position}"
        _finish(call, pages - 1, started, state=CallState.FAILED, error=note, status=exc.status)
        poll_failure_event(call, message=note, status=exc.status)
        raise ScanPaused(cursor=dict(position), wait=wait, cause=exc) from exc
    except UpswiftError as exc:
        if call.pk is None:  # failed before its first page was sent
            call.save(force_insert=True)
        message = getattr(exc, "error_message", "") or str(exc)
        status = getattr(exc, "status", None)
        _finish(call, pages, started, state=CallState.FAILED, error=message, status=status)
        poll_failure_event(call, message=message, status=status)
        if getattr(exc, "token_rejected", False):
            token_rejected(rollout=rollout, stage=stage, status=status)
        elif not exc.retryable:
            read_refused(rollout=rollout, stage=stage, message=message)
        raise ScanFailed(message, cause=exc) from exc
    _finish(call, pages, started, state=CallState.SUCCEEDED, status=200)


def _scan(
    *, rollout: Rollout, stage: RolloutStage | None, groups: list[str], cursor: dict | None = None
) -> Iterator[dict]:
    """Every device of the project (or of `groups`) with its updates: devices_details."""
    return _recorded_pass(
        rollout=rollout,
        stage=stage,
        path="/devices_details",
        pages_of=upswift_client().iter_devices_details,
        groups=groups,
        cursor=cursor,
        page_size=settings.UPSWIFT_PAGE_SIZE,
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


def project_groups_read(*, rollout: Rollout, stage: RolloutStage) -> set[str]:
    """The project's groups, as seen on its devices (Upswift has no call that lists groups),
    for `stage`'s deploy filter. A pass the budget cuts short (ScanPaused) goes on next time."""
    cursor = _cursor_of(stage, "groups")
    groups = set(cursor.get("found", []))
    try:
        for device in _scan(rollout=rollout, stage=None, groups=[], cursor=cursor):
            if device.get("group"):
                groups.add(device["group"])
    except ScanPaused as paused:
        _cursor_store(stage, {**paused.cursor, "pass": "groups", "found": sorted(groups)})
        raise
    _cursor_store(stage, {})
    return groups


def stage_marker_seen(*, rollout: Rollout, stage: RolloutStage) -> bool:
    """Whether any device already carries this stage's update (a deploy that did land). Stops
    at the first one; telling that none does takes a whole pass, which goes on where the budget
    cut it short (ScanPaused). Raises ScanFailed when the read-back fails."""
    marker = rollout.marker(stage)
    scan = _scan(
        rollout=rollout,
        stage=stage,
        groups=readback.stage_own_groups(stage),
        cursor=_cursor_of(stage, "landed"),
    )
    try:
        with contextlib.closing(scan):
            for device in scan:
                if device_row_problem(device):
                    continue
                if stage_update_of(device, marker=marker, version=rollout.app_version).update_id:
                    _cursor_store(stage, {})
                    return True
    except ScanPaused as paused:
        _cursor_store(stage, {**paused.cursor, "pass": "landed"})
        raise
    _cursor_store(stage, {})
    return False


def pass_unfinished(stage: RolloutStage) -> bool:
    """Whether the stage's progress pass stopped part-way (it goes on before a new one)."""
    return bool(_cursor_of(stage, "progress"))


def _cursor_of(stage: RolloutStage, kind: str) -> dict:
    """Where the stage's unfinished pass of this kind stopped ({} to start afresh)."""
    cursor = stage.poll_cursor or {}
    return cursor if cursor.get("pass", "progress") == kind else {}


def _cursor_store(stage: RolloutStage, cursor: dict) -> None:
    RolloutStage.objects.filter(pk=stage.pk).update(poll_cursor=cursor)
    stage.poll_cursor = cursor


def _progress_scan(*, rollout: Rollout, stage: RolloutStage, cursor: dict) -> Iterator[dict]:
    """The stage's cohort read the cheapest way (engine/readback.py: device by device, by
    groups, or the whole project); a pass cut short goes on the way it started."""
    read = cursor.get("read") or readback.read_plan(project=rollout.project, stage=stage)
    by_device = read["by"] == "devices"
    try:
        yield from _recorded_pass(
            rollout=rollout,
            stage=stage,
            path="/devices_details",
            pages_of=readback.devices_one_by_one
            if by_device
            else upswift_client().iter_devices_details,
            groups=read["scopes"],
            cursor=cursor,
            page_size=settings.UPSWIFT_PAGE_SIZE,
        )
    except ScanPaused as paused:
        if read["calls"] is not None:  # chosen from the inventory: keep it for the pass
            paused.cursor = {**paused.cursor, "read": read}
        raise


def stage_poll(*, rollout: Rollout, stage: RolloutStage) -> bool:
    """Read the stage's cohort back and store device rows; True once a whole pass is done and
    the counts are fresh. A pass the API budget cuts short keeps its rows and goes on from
    where it stopped on the next tick, so a stage of any size is read back in the end."""
    marker = rollout.marker(stage)
    cohort = stage.cohort_filter()
    rows: dict[str, Row] = {}
    cursor: dict = {}
    skipped = 0
    try:
        scan = _progress_scan(rollout=rollout, stage=stage, cursor=_cursor_of(stage, "progress"))
        for device in scan:
            if device_row_problem(device):
                skipped += 1
                continue
            update = stage_update_of(device, marker=marker, version=rollout.app_version)
            member = device_matches(cohort, device)
            if member is False or (member is None and update.status == DeviceStatus.NOT_REACHED):
                continue
            rows[device["device_uuid"]] = Row(
                device_name=str(device.get("device_name", ""))[:200],
                group=str(device.get("group") or "")[:200],
                online=False,
                status=update.status,
                update_id=update.update_id,
            )
    except ScanPaused as paused:
        cursor = paused.cursor
    except ScanFailed:
        return False
    not_reached = [u for u, r in rows.items() if r.status == DeviceStatus.NOT_REACHED]
    if stage.online_only and not_reached and not cursor:
        with contextlib.suppress(ScanFailed):  # sweeps wait for the next pass
            online = _online_devices(rollout=rollout, stage=stage)
            for uuid in not_reached:
                rows[uuid] = rows[uuid]._replace(online=uuid in online)
    if skipped:
        _skipped_event(rollout=rollout, stage=stage, skipped=skipped)
    with transaction.atomic():
        rows_upsert(stage, rows_changed(stage, rows))
        if cursor:
            _cursor_store(stage, {**cursor, "pass": "progress"})
        else:
            _counts_store(stage)
            sample_record(stage)  # the stage's chart and its pass's numbers (kept on retry)
    stage.refresh_from_db()
    return not cursor


def _counts_store(stage: RolloutStage) -> None:
    """The stage's counts from its device rows, after a whole pass."""
    rows = stage.devices.order_by().values("status").annotate(n=Count("id"))
    counts = {row["status"]: row["n"] for row in rows}
    RolloutStage.objects.filter(pk=stage.pk).update(
        devices_total=sum(counts.values()),
        count_pending=counts.get(DeviceStatus.PENDING, 0),
        count_in_progress=counts.get(DeviceStatus.IN_PROGRESS, 0),
        count_success=counts.get(DeviceStatus.SUCCESS, 0),
        count_failed=counts.get(DeviceStatus.FAILED, 0),
        count_aborted=counts.get(DeviceStatus.ABORTED, 0),
        count_not_reached=counts.get(DeviceStatus.NOT_REACHED, 0),
        last_polled_at=timezone.now(),
        poll_cursor={},
    )


def _skipped_event(*, rollout: Rollout, stage: RolloutStage, skipped: int) -> None:
    """Malformed device rows were left out of a pass: say so once per change in their number."""
    last = (
        stage.events.filter(kind=EventKind.DEVICES_SKIPPED)
        .order_by("-id")
        .values_list("details", flat=True)
        .first()
    )
    if last and last.get("skipped") == skipped:
        return
    event_record(
        rollout=rollout,
        stage=stage,
        kind=EventKind.DEVICES_SKIPPED,
        reason=(
            f"{skipped} device rows from Upswift were malformed (bad uuid, name or updates) "
            "and were left out of the stage's counts."
        ),
        details={"skipped": skipped},
    )


def stage_online_read(*, rollout: Rollout, stage: RolloutStage) -> None:
    """Mark which of the stage's unfinished devices are online now (one get_devices_state pass),
    so a person deciding on a shortfall knows how many of them are offline."""
    online = _online_devices(rollout=rollout, stage=stage)
    unfinished = stage.devices.filter(
        status__in=(DeviceStatus.NOT_REACHED, DeviceStatus.PENDING, DeviceStatus.IN_PROGRESS)
    )
    unfinished.filter(device_uuid__in=online).update(online=True)
    unfinished.exclude(device_uuid__in=online).update(online=False)


def _online_devices(*, rollout: Rollout, stage: RolloutStage) -> set[str]:
    """The uuids of the cohort's devices that are online now (get_devices_state, paged)."""
    states = _recorded_pass(
        rollout=rollout,
        stage=stage,
        path="/get_devices_state",
        pages_of=upswift_client().iter_devices_state,
        groups=readback.stage_own_groups(stage),
    )
    return {d.get("device_uuid") for d in states if d.get("device_status") == "online"}
