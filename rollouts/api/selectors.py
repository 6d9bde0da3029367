"""The API's reads: querysets with what each serializer needs loaded up front."""

from django.db.models import Prefetch, QuerySet

from rollouts.models import ApiCall, Event, Plan, PlanStage, Rollout, RolloutStage, StagePass

_STAGES = Prefetch("stages", queryset=RolloutStage.objects.order_by("position"))
_STAGES_DETAIL = Prefetch(
    "stages", queryset=RolloutStage.objects.select_related("approved_by").order_by("position")
)
# Each stage's passes (its deploy, each retry) with who asked for a retry.
_PASSES = Prefetch(
    "stages__passes", queryset=StagePass.objects.select_related("started_by").order_by("number")
)


def plan_list(*, name: str = "") -> QuerySet[Plan]:
    plans = Plan.objects.select_related("created_by").prefetch_related(
        Prefetch("stages", queryset=PlanStage.objects.order_by("position"))
    )
    return plans.filter(name=name) if name else plans.order_by("name", "id")


def rollout_list(
    *, status: str = "", plan: int | None = None, app_version: str = "", created_by: str = ""
) -> QuerySet[Rollout]:
    rollouts = Rollout.objects.select_related("plan", "created_by", "started_by").prefetch_related(
        _STAGES
    )
    if status:
        rollouts = rollouts.filter(status=status)
    if plan is not None:
        rollouts = rollouts.filter(plan_id=plan)
    if app_version:
        rollouts = rollouts.filter(app_version=app_version)
    if created_by:
        rollouts = rollouts.filter(created_by__username=created_by)
    return rollouts.order_by("-created_at", "-id")


def rollout_detail(*, pk: int) -> Rollout | None:
    return (
        Rollout.objects.select_related("plan", "created_by", "started_by")
        .prefetch_related(_STAGES_DETAIL, _PASSES)
        .filter(pk=pk)
        .first()
    )


def rollout_events(*, rollout: Rollout, after: int | None = None) -> QuerySet[Event]:
    events = Event.objects.filter(rollout=rollout).select_related("actor", "stage")
    if after is not None:
        events = events.filter(pk__gt=after)
    return events.order_by("created_at", "id")


def rollout_calls(*, rollout: Rollout) -> QuerySet[ApiCall]:
    return (
        ApiCall.objects.filter(rollout=rollout).select_related("stage").order_by("created_at", "id")
    )
