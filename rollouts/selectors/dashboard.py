"""What the dashboard shows: approvals, active rollouts, trouble, API health."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Case, Count, F, IntegerField, Prefetch, QuerySet, Sum, When
from django.utils import timezone

from rollouts.engine.budget import budget_status
from rollouts.models import (
    FINISHED_ROLLOUT_STATUSES,
    ApiCall,
    CallKind,
    CallState,
    Event,
    EventKind,
    Rollout,
    RolloutStage,
    RolloutStatus,
)
from rollouts.selectors.approvals import approvers_for, approvers_list, stages_awaiting_approval
from rollouts.selectors.outcome import with_shortfalls

ACTIVE_LIMIT = 20
FINISHED_LIMIT = 5
TROUBLE_LIMIT = 8
APPROVAL_LIMIT = 20
IN_FLIGHT_STATUSES = (RolloutStatus.SCHEDULED, RolloutStatus.RUNNING, RolloutStatus.PAUSED)
TROUBLE_KINDS = (EventKind.PAUSED, EventKind.FAILED)
RECENT_ERROR = timedelta(minutes=5)


@dataclass
class Approval:
    stage: RolloutStage
    approvers: list


def approvals_pending() -> list[Approval]:
    """Stages waiting for a person, each with who may approve it."""
    stages = list(stages_awaiting_approval()[:APPROVAL_LIMIT])
    if not stages:
        return []
    approvers = approvers_list()
    return [Approval(s, approvers_for(rollout=s.rollout, approvers=approvers)) for s in stages]


def rollouts_in_flight() -> QuerySet[Rollout]:
    """Scheduled, running and paused rollouts with their stages (two queries)."""
    order = Case(
        When(status=RolloutStatus.PAUSED, then=0),
        When(status=RolloutStatus.RUNNING, then=1),
        default=2,
        output_field=IntegerField(),
    )
    return (
        Rollout.objects.filter(status__in=IN_FLIGHT_STATUSES)
        .select_related("plan", "started_by")
        .prefetch_related(Prefetch("stages", queryset=RolloutStage.objects.order_by("position")))
        .annotate(order=order)
        .order_by("order", "-started_at", "-id")
    )


def rollouts_finished_recent() -> QuerySet[Rollout]:
    """The latest finished rollouts, each with what it left behind (selectors/outcome.py:
    "Completed with 5 failed, 2 not reached"), in one query."""
    finished = Rollout.objects.filter(status__in=FINISHED_ROLLOUT_STATUSES)
    return with_shortfalls(finished.order_by("-finished_at", "-id"))


def troubles_recent() -> QuerySet[Event]:
    """The latest pauses and failures, with their reason."""
    return (
        Event.objects.filter(kind__in=TROUBLE_KINDS)
        .select_related("rollout", "stage", "actor")
        .order_by("-created_at", "-id")
    )


def api_health(*, now=None) -> dict:
    """The Upswift API as the console saw it: budget, cool-down, calls, last error."""
    now = now or timezone.now()
    last_minute = ApiCall.objects.filter(created_at__gte=now - timedelta(minutes=1)).aggregate(
        rows=Count("id"),
        requests=Sum(
            Case(When(kind=CallKind.POLL, then=F("pages")), default=1),
            output_field=IntegerField(),
        ),
    )
    last_error = (
        ApiCall.objects.filter(state=CallState.FAILED)
        .select_related("rollout")
        .order_by("-created_at", "-id")
        .first()
    )
    budget = budget_status()
    recent_error = last_error is not None and last_error.created_at >= now - RECENT_ERROR
    if budget["cooldown_seconds"] > 0:
        state, label = "cooling", "Cooling down after a 429"
    elif recent_error:
        state, label = "errors", "Errors in the last 5 minutes"
    else:
        state, label = "ok", "No recent errors"
    return {
        **budget,
        "requests_last_minute": last_minute["requests"] or 0,
        "last_error": last_error,
        "state": state,
        "state_label": label,
    }
