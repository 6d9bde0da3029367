"""The audit record as exported: each rollout with its approvers, the evidence each approval
kept, and every stage's counts and passes (the history page and CSV); the events of a date range
(the event export, CSV and JSON).

Reads are sized for any history: the rollouts come with their stages, passes and approvals in a
fixed number of queries per page (or per chunk of a streamed export), and the event export is
paged by id."""

from datetime import date, datetime, time, timedelta

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from rollouts.models import Event, EventKind, Rollout, RolloutStage, StagePass
from rollouts.selectors.outcome import with_shortfalls
from rollouts.selectors.passes import pass_result, passes_text

EXPORT_CHUNK = 500


def with_record(rollouts: QuerySet[Rollout]) -> QuerySet[Rollout]:
    """Rollouts with what the export says of them: shortfalls (for the outcome), stages with
    their approvers and passes, and their approval events (`approvals`, oldest first)."""
    passes = StagePass.objects.select_related("started_by").order_by("number")
    stages = (
        RolloutStage.objects.select_related("approved_by")
        .prefetch_related(Prefetch("passes", queryset=passes))
        .order_by("position")
    )
    approvals = (
        Event.objects.filter(kind=EventKind.STAGE_APPROVED)
        .select_related("actor", "stage")
        .order_by("created_at", "id")
    )
    return with_shortfalls(rollouts).prefetch_related(
        Prefetch("stages", queryset=stages),
        Prefetch("events", queryset=approvals, to_attr="approvals"),
    )


def stage_line(stage: RolloutStage) -> str:
    """`2 Europe: 10 devices, 9 succeeded, 1 failed, 0 pending, 0 not reached (first pass …;
    retry …)`."""
    failed = stage.count_failed + stage.count_aborted
    pending = stage.count_pending + stage.count_in_progress
    line = (
        f"{stage.position} {stage.name or stage.target_label}: {stage.status}, "
        f"{stage.devices_total} devices, {stage.count_success} succeeded, {failed} failed, "
        f"{pending} pending, {stage.count_not_reached} not reached"
    )
    passes = passes_text([pass_result(p) for p in stage.passes.all()])
    return f"{line} ({passes})" if passes else line


def stage_lines(rollout: Rollout) -> str:
    return " | ".join(stage_line(s) for s in rollout.stages.all() if s.started_at)


def approvers_text(rollout: Rollout) -> str:
    """`stage 1: rita; stage 2: ben` (who approved each stage)."""
    return "; ".join(
        f"stage {s.position}: {s.approved_by.get_username() if s.approved_by else 'system'}"
        for s in rollout.stages.all()
        if s.approved_at
    )


def evidence_text(evidence: dict | None) -> str:
    """What an approver was shown, in one line: the stage started and each earlier result."""
    if not evidence:
        return "no evidence kept"
    stage = evidence.get("stage") or {}
    devices = stage.get("devices")
    parts = [
        f"start stage {stage.get('position')} ({devices if devices is not None else '?'} devices)"
    ]
    for e in evidence.get("earlier") or []:
        met = {True: "threshold met", False: "threshold not met"}.get(e.get("threshold_met"), "")
        text = (
            f"stage {e['position']} {e['succeeded']}/{e['devices']} succeeded, {e['failed']} "
            f"failed, {e['pending']} pending, {e['not_reached']} not reached"
        )
        text += f", {met}" if met else ""
        if e.get("passes_text"):
            text += f" [{e['passes_text']}]"
        if e.get("shortfall"):
            text += f", shortfall accepted by {e['shortfall'].get('by') or 'someone'}"
        parts.append(text)
    return "; ".join(parts)


def approvals_text(rollout: Rollout) -> str:
    """Each approval with who, when, the comment and the evidence it kept."""
    lines = []
    for event in getattr(rollout, "approvals", []):
        who = event.actor.get_username() if event.actor else "system"
        where = f"stage {event.stage.position}" if event.stage else "stage ?"
        comment = f' "{event.reason}"' if event.reason else ""
        evidence = evidence_text((event.details or {}).get("evidence"))
        lines.append(f"{where} by {who} at {event.created_at.isoformat()}{comment}: {evidence}")
    return " | ".join(lines)


def day_range(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """[start of `since`, start of the day after `until`) in the site's time zone."""
    zone = timezone.get_default_timezone()
    start = datetime.combine(since, time.min, tzinfo=zone) if since else None
    end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone) if until else None
    return start, end


def events_in_range(*, since: date | None = None, until: date | None = None) -> QuerySet[Event]:
    """Every event from `since` through `until` (days, both included), oldest first."""
    start, end = day_range(since, until)
    events = Event.objects.select_related("actor", "stage", "rollout")
    if start:
        events = events.filter(created_at__gte=start)
    if end:
        events = events.filter(created_at__lt=end)
    return events.order_by("created_at", "id")
