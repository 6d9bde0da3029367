"""The fleet inventory's refresh: a project's devices read through `devices_details`, then their
online state through `get_devices_state`, each page taken from the shared API budget.

A read is resumable: when the budget (or a transient error) stops it, `FleetRead.cursor` keeps
the phase, the offset and the uuids seen so far, and the next beat tick goes on from there, so a
100,000-device project is read in the end without ever starving a rollout (the inventory takes at
most `FLEET_BUDGET_SHARE` of a minute's calls). Only rows that changed are written, in bulk, so
a device's `updated_at` is when it last changed. A device no longer listed is removed when the
details phase finishes.
"""

import logging
import time

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from rollouts.engine.budget import budget_acquire, budget_cooldown, budget_status
from rollouts.engine.client import upswift_client
from rollouts.engine.device_rows import device_row_problem
from rollouts.models import FleetDevice, FleetRead, Plan, Rollout
from upswift import RateLimited, UpswiftError
from upswift.requests import devices_details_request, get_devices_state_request

logger = logging.getLogger(__name__)

STATES_PAGE = 50  # get_devices_state's largest page
ANALYZE_AFTER_ROWS = 5_000  # a details phase that wrote this many rows refreshes the statistics
# The columns a read compares and writes (updated_at follows by itself).
FIELDS = (
    "name",
    "group",
    "tags_text",
    "last_keepalive",
    "app_versions",
    "app_version",
    "agent_version",
    "latest_update",
    "updates",
)


class BudgetSpent(Exception):
    """The inventory's share of this minute's calls is used up."""


def fleet_projects() -> list[str]:
    """Every project the console has a reason to know: named by a plan or a rollout, listed in
    FLEET_PROJECTS, or read before."""
    names = set(settings.FLEET_PROJECTS)
    names |= set(Plan.objects.values_list("project", flat=True).distinct())
    names |= set(Rollout.objects.values_list("project", flat=True).distinct())
    names |= set(FleetRead.objects.values_list("project", flat=True))
    return sorted(n for n in names if n)


def fleet_read_due(read: FleetRead, *, now=None) -> bool:
    now = now or timezone.now()
    if read.cursor or read.completed_at is None:
        return True
    if read.refresh_requested_at and read.refresh_requested_at > read.completed_at:
        return True
    return (now - read.completed_at).total_seconds() >= settings.FLEET_MAX_AGE_SECONDS


def _take_call(read: FleetRead) -> None:
    """One call from the shared budget, within the inventory's share of it, and within half a
    worker's time limit for one run (the cursor is saved when the run stops)."""
    if time.monotonic() - read.run_started > settings.ROLLOUT_STEP_TIME_LIMIT / 2:
        raise BudgetSpent
    status = budget_status()
    share = max(1, int(status["limit_per_minute"] * settings.FLEET_BUDGET_SHARE))
    if status["limit_per_minute"] > 0 and status["calls_this_minute"] >= share:
        raise BudgetSpent
    if budget_acquire() > 0:
        raise BudgetSpent


def _tags_text(tags) -> str:
    tags = [str(t) for t in tags or [] if str(t) and "|" not in str(t)]
    return f"|{'|'.join(sorted(tags))}|" if tags else ""


def device_fields(device: dict) -> dict:
    """The inventory's columns for one well-formed devices_details row."""
    updates = [
        {
            "update_id": u.get("update_id"),
            "status": str(u.get("update_status") or ""),
            "version": str(u.get("update_version") or ""),
            "comment": str(u.get("comment") or "")[:300],
            "scheduled": str(u.get("deployment_schedule_time") or ""),
        }
        for u in device.get("updates") or []
    ]
    updates.sort(key=lambda u: u["update_id"] or 0)
    succeeded = [u for u in updates if u["status"] == "success"]
    apps = device.get("apps")
    app_versions = (
        {str(a.get("app_name")): str(a.get("version")) for a in apps if isinstance(a, dict)}
        if isinstance(apps, list)
        else {}
    )
    return {
        "name": str(device.get("device_name") or "")[:200],
        "group": str(device.get("group") or "")[:200],
        "tags_text": _tags_text(device.get("tags"))[:2000],
        "last_keepalive": str(device.get("last_keepalive") or "")[:40],
        "app_versions": app_versions,
        "app_version": (succeeded[-1]["version"] if succeeded else "")[:100],
        "agent_version": str(device.get("upswift_version") or "")[:40],
        "latest_update": updates[-1] if updates else {},
        "updates": updates[-50:],
    }


def _store_details(project: str, page: list[dict]) -> tuple[list[str], int]:
    """Write the page's new and changed devices; returns (uuids seen, rows written)."""
    fresh = {}
    for device in page:
        if device_row_problem(device):
            continue
        fresh[device["device_uuid"]] = device_fields(device)
    stored = {
        row.device_uuid: row
        for row in FleetDevice.objects.filter(project=project, device_uuid__in=list(fresh))
    }
    created, changed = [], []
    for uuid, fields in fresh.items():
        row = stored.get(uuid)
        if row is None:
            created.append(FleetDevice(project=project, device_uuid=uuid, **fields))
        elif any(getattr(row, k) != v for k, v in fields.items()):
            for k, v in fields.items():
                setattr(row, k, v)
            changed.append(row)
    now = timezone.now()
    for row in changed:
        row.updated_at = now
    FleetDevice.objects.bulk_create(created, batch_size=1000)
    FleetDevice.objects.bulk_update(changed, [*FIELDS, "updated_at"], batch_size=1000)
    return list(fresh), len(created) + len(changed)


def _store_states(project: str, page: list[dict]) -> int:
    """Set the online state of the page's devices where it changed; returns rows written."""
    online = {d["device_uuid"] for d in page if d.get("device_status") == "online"}
    uuids = [d.get("device_uuid") for d in page if isinstance(d.get("device_uuid"), str)]
    rows = FleetDevice.objects.filter(project=project, device_uuid__in=uuids)
    now = timezone.now()
    went_online = rows.filter(device_uuid__in=online).exclude(online=True)
    went_offline = rows.exclude(device_uuid__in=online).filter(Q(online=True) | Q(online=None))
    return went_online.update(online=True, updated_at=now) + went_offline.update(
        online=False, updated_at=now
    )


def _details_phase(read: FleetRead, cursor: dict) -> None:
    client = upswift_client()
    while True:
        offset = cursor.get("offset", 0)
        request = devices_details_request(
            project_name=read.project, limit=settings.UPSWIFT_PAGE_SIZE, offset=offset
        )
        _take_call(read)
        read.calls += 1
        response = client.send(request)
        page = response.message if isinstance(response.message, list) else []
        uuids, written = _store_details(read.project, [d for d in page if isinstance(d, dict)])
        read.written += written
        cursor.setdefault("seen", []).extend(uuids)  # not copied per page: 100,000 devices
        cursor["offset"] = offset + len(page)
        if response.payload.get("more") is not True or not page:
            break
    seen = set(cursor.pop("seen", []))
    if read.written >= ANALYZE_AFTER_ROWS:
        _analyze()
    stored = FleetDevice.objects.filter(project=read.project)
    gone = set(stored.values_list("device_uuid", flat=True)) - seen
    if gone:  # devices no longer listed by Upswift
        read.written += stored.filter(device_uuid__in=gone).delete()[0]
    cursor.update(phase="states", offset="")


def _analyze() -> None:
    """Fresh planner statistics after a bulk load: with the ones from before it, PostgreSQL
    reads every row of the project for each page's update instead of the 50 it names."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {FleetDevice._meta.db_table}")


def _count(project: str) -> int:
    return FleetDevice.objects.filter(project=project).count()


def _states_phase(read: FleetRead, cursor: dict) -> None:
    client = upswift_client()
    while True:
        after = cursor.get("offset") or None
        request = get_devices_state_request(
            project_name=read.project, limit=STATES_PAGE, offset=after
        )
        _take_call(read)
        read.calls += 1
        response = client.send(request)
        page = [d for d in response.message or [] if isinstance(d, dict)]
        read.written += _store_states(read.project, page)
        last = page[-1].get("device_uuid") if page else None
        if len(page) < STATES_PAGE or response.payload.get("more") is False or last == after:
            break
        cursor["offset"] = last
    cursor.clear()


def inventory_refresh(*, project: str) -> bool:
    """Read `project`'s devices, going on from where the last read stopped. True when a whole
    pass finished (or the project turned out not to exist), False when it stopped early."""
    read, _ = FleetRead.objects.get_or_create(project=project)
    cursor = dict(read.cursor or {"phase": "details", "offset": 0})
    if not read.cursor:
        read.started_at = timezone.now()
        read.calls = read.written = 0
        read.seconds = 0.0
    started = read.run_started = time.monotonic()
    finished, refused = False, ""
    try:
        if cursor.get("phase", "details") == "details":
            _details_phase(read, cursor)
        _states_phase(read, cursor)
        finished = True
    except BudgetSpent:
        pass
    except RateLimited as exc:
        budget_cooldown(seconds=exc.retry_after or 30.0)
    except UpswiftError as exc:
        if not exc.retryable and not getattr(exc, "token_rejected", False):
            # e.g. "Project 'X' does not exist": the project is gone; say so and stop.
            refused = (getattr(exc, "error_message", "") or str(exc))[:500]
            FleetDevice.objects.filter(project=project).delete()
            cursor, finished = {}, True
        else:
            logger.info("fleet read of %s stopped: %s", project, exc)
    read.seconds += time.monotonic() - started
    with transaction.atomic():
        read.cursor = {} if finished else cursor
        if finished:
            read.error = refused
            read.completed_at = timezone.now()
            read.devices = _count(project)
            read.last_calls, read.last_written = read.calls, read.written
            read.last_seconds = read.seconds
        read.save()
    return finished


def inventory_refresh_due() -> dict[str, bool]:
    """Beat: go on with every project's read that is due; {project: finished}."""
    done = {}
    for project in fleet_projects():
        read = FleetRead.objects.filter(project=project).first()
        if read is None or fleet_read_due(read):
            done[project] = inventory_refresh(project=project)
            if not done[project] and FleetRead.objects.get(project=project).cursor:
                break  # the budget share is spent: the others wait for the next tick
    return done


def stage_groups_vanished(*, project: str, groups: list[str]) -> list[str] | None:
    """The stage's groups that no longer exist in Upswift, checked when the stage starts.

    The inventory answers first (no call); a group it does not know is confirmed with one
    `devices_details` call naming it (limit 1), since the inventory may predate the group. Returns
    the vanished groups, or None when the check must wait (budget spent, API unavailable)."""
    read = FleetRead.objects.filter(project=project, error="").first()
    if read is None or read.completed_at is None or not groups:
        return []
    known = set(
        FleetDevice.objects.filter(project=project, group__in=groups).values_list(
            "group", flat=True
        )
    )
    unknown = [g for g in groups if g not in known]
    if unknown and not settings.UPSWIFT_USER_TOKEN:
        return None  # no API to ask (a console without a token)
    vanished = []
    for group in unknown:
        if budget_acquire() > 0:
            return None
        request = devices_details_request(project_name=project, group_name=group, limit=1)
        try:
            upswift_client().send(request)
        except UpswiftError as exc:
            if exc.retryable or getattr(exc, "token_rejected", False):
                return None
            vanished.append(group)
    return vanished
