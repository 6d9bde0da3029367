"""Status that never flatters: what a stage's badge and a rollout's outcome say.

A stage's own status is the engine's (monitoring until its gates close it); a person reading a
page needs the rollout's too: the open stage of a paused rollout is "Paused", of an aborted one
"Aborted". A completed rollout with devices that did not take the update says so: "Completed
with 5 failed, 2 not reached". The pages, the REST API and the history CSV all ask here."""

from django.db.models import F, IntegerField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from rollouts.models import Rollout, RolloutStage, RolloutStatus, StageStatus

OPEN_STAGE_STATUSES = (StageStatus.DEPLOYING, StageStatus.MONITORING)
# What an open stage shows while its rollout is stopped: (badge class, label).
_STOPPED = {
    RolloutStatus.PAUSED: ("paused", "Paused"),
    RolloutStatus.ABORTED: ("aborted", "Aborted"),
    RolloutStatus.FAILED: ("failed", "Failed"),
}
_FINISHED = (RolloutStatus.COMPLETED, RolloutStatus.ABORTED, RolloutStatus.FAILED)


def stage_badge(*, rollout_status: str, stage: RolloutStage) -> tuple[str, str]:
    """(badge class, label) of a stage as its rollout stands: an open stage of a stopped
    rollout takes the rollout's status; a stage a finished rollout never started says so."""
    if stage.status in OPEN_STAGE_STATUSES and rollout_status in _STOPPED:
        return _STOPPED[rollout_status]
    if stage.status == StageStatus.PENDING and rollout_status in _FINISHED:
        return "skipped", "Not started"
    return stage.status, stage.get_status_display()


def outcome_text(
    *, status: str, label: str, failed: int = 0, pending: int = 0, not_reached: int = 0
) -> str:
    """ "Completed", or "Completed with 5 failed, 2 not reached"; other statuses as labelled."""
    if status != RolloutStatus.COMPLETED:
        return label
    parts = [
        f"{n} {what}"
        for n, what in ((failed, "failed"), (pending, "pending"), (not_reached, "not reached"))
        if n
    ]
    return f"{label} with {', '.join(parts)}" if parts else label


def stage_shortfalls(stages) -> dict[str, int]:
    """Devices of the rollout's stages that did not take the update, by kind."""
    return {
        "failed": sum(s.count_failed + s.count_aborted for s in stages),
        "pending": sum(s.count_pending + s.count_in_progress for s in stages),
        "not_reached": sum(s.count_not_reached for s in stages),
    }


def rollout_outcome(*, rollout: Rollout, stages) -> str:
    """The rollout's outcome from its (loaded) stages."""
    return outcome_text(
        status=rollout.status, label=rollout.get_status_display(), **stage_shortfalls(stages)
    )


def _stage_sum(expression) -> Coalesce:
    rows = RolloutStage.objects.filter(rollout=OuterRef("pk")).order_by().values("rollout")
    total = rows.annotate(n=Sum(expression)).values("n")[:1]
    return Coalesce(Subquery(total, output_field=IntegerField()), 0)


def with_shortfalls(rollouts: QuerySet[Rollout]) -> QuerySet[Rollout]:
    """Rollouts annotated with `shortfall_failed`, `_pending`, `_not_reached` (correlated sums:
    no extra query per row), for `annotated_outcome`."""
    return rollouts.annotate(
        shortfall_failed=_stage_sum(F("count_failed") + F("count_aborted")),
        shortfall_pending=_stage_sum(F("count_pending") + F("count_in_progress")),
        shortfall_not_reached=_stage_sum(F("count_not_reached")),
    )


def annotated_outcome(rollout: Rollout) -> str:
    """The outcome of a rollout from `with_shortfalls`."""
    return outcome_text(
        status=rollout.status,
        label=rollout.get_status_display(),
        failed=rollout.shortfall_failed,
        pending=rollout.shortfall_pending,
        not_reached=rollout.shortfall_not_reached,
    )
