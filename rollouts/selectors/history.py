"""Every rollout, filtered and searched, for the history page and its CSV export."""

from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from rollouts.models import Plan, Rollout, RolloutStage, StageStatus
from rollouts.selectors.approvals import stages_waiting

AWAITING = "awaiting"  # a status filter of its own: running, and a stage waits for a person


@dataclass(frozen=True)
class HistoryFilter:
    status: str = ""
    plan: Plan | None = None
    version: str = ""
    person: object | None = None
    since: date | None = None
    until: date | None = None
    q: str = ""


def rollout_history(*, filters: HistoryFilter) -> QuerySet[Rollout]:
    """Rollouts newest first, with the people and the number of stages done (one query)."""
    # Correlated counts, not a JOIN + GROUP BY over every rollout: the database works out
    # only the rows of the page, and the paginator's COUNT(*) leaves them out.
    stages = RolloutStage.objects.filter(rollout=OuterRef("pk")).order_by().values("rollout")
    done = stages.filter(status__in=(StageStatus.SUCCEEDED, StageStatus.SKIPPED))
    rollouts = Rollout.objects.select_related("plan", "created_by", "started_by").annotate(
        stages_total=Coalesce(Subquery(stages.annotate(n=Count("pk")).values("n")), 0),
        stages_done=Coalesce(Subquery(done.annotate(n=Count("pk")).values("n")), 0),
        awaiting_approval=Exists(stages_waiting().filter(rollout=OuterRef("pk"))),
    )
    if filters.status == AWAITING:
        rollouts = rollouts.filter(awaiting_approval=True)
    elif filters.status:
        rollouts = rollouts.filter(status=filters.status)
    if filters.plan is not None:
        rollouts = rollouts.filter(plan=filters.plan)
    if filters.version:
        rollouts = rollouts.filter(app_version__icontains=filters.version)
    if filters.person is not None:
        approved = RolloutStage.objects.filter(rollout=OuterRef("pk"), approved_by=filters.person)
        rollouts = rollouts.filter(
            Q(created_by=filters.person) | Q(started_by=filters.person) | Exists(approved)
        )
    if filters.since:
        rollouts = rollouts.filter(created_at__date__gte=filters.since)
    if filters.until:
        rollouts = rollouts.filter(created_at__date__lte=filters.until)
    if filters.q:
        rollouts = rollouts.filter(_search(filters.q))
    return rollouts.order_by("-created_at", "-id")


def _search(text: str) -> Q:
    query = Q()
    for word in text.split()[:8]:
        match = (
            Q(app_name__icontains=word)
            | Q(app_version__icontains=word)
            | Q(comment__icontains=word)
            | Q(flow_id__icontains=word)
            | Q(plan__name__icontains=word)
            | Q(status_reason__icontains=word)
        )
        number = word.removeprefix("#")
        # ASCII digits only: "²".isdigit() is True but int("²") fails (a 500 once). A number
        # too large for an id matches nothing (Django leaves an out-of-range id out).
        if number.isascii() and number.isdigit():
            match |= Q(pk=int(number))
        query &= match
    return query


def history_people():
    """People who created, started or approved a rollout (the person filter's choices)."""
    in_history = (
        Q(pk__in=Rollout.objects.values("created_by"))
        | Q(pk__in=Rollout.objects.values("started_by"))
        | Q(pk__in=RolloutStage.objects.values("approved_by"))
    )
    return get_user_model().objects.filter(in_history).order_by("username")
