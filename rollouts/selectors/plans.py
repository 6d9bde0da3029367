"""Plans, and what each stage of a plan would target (the preview before a start)."""

from dataclasses import dataclass

from django.db.models import Count, Prefetch, QuerySet

from rollouts.engine.cohorts import (
    EmptyCohort,
    cohort_filter,
    deploy_filter,
    needs_project_groups,
)
from rollouts.models import Plan, PlanStage
from upswift import DevicesFilter

OTHER_GROUPS = "(every other group)"


def plan_list() -> QuerySet[Plan]:
    """Plans by name, with their stages and how many rollouts used them (two queries)."""
    return (
        Plan.objects.select_related("created_by")
        .prefetch_related(Prefetch("stages", queryset=PlanStage.objects.order_by("position")))
        .annotate(rollouts_total=Count("rollouts"))
        .order_by("name")
    )


def plan_choices() -> QuerySet[Plan]:
    return Plan.objects.order_by("name")


@dataclass
class StagePreview:
    stage: PlanStage
    devices_filter: DevicesFilter | None
    excluded_groups: list[str]
    empty_reason: str = ""


def plan_preview(*, plan: Plan) -> list[StagePreview]:
    """The Upswift filter each stage's deploy call would carry, without calling the API.

    Where a stage must list the project's other groups by name (read from the fleet when it
    starts), the preview shows them as one placeholder with the groups left out."""
    stages = list(plan.stages.order_by("position"))
    previews = []
    for index, stage in enumerate(stages):
        earlier = stages[:index]
        excluded: list[str] = []
        project_groups: list[str] = []
        if needs_project_groups(stage=stage, earlier=earlier):
            excluded = sorted(
                {
                    g
                    for s in earlier
                    if s.target == "groups" and not s.device_filter
                    for g in s.groups
                }
            )
            project_groups = [OTHER_GROUPS]
        try:
            cohort = cohort_filter(
                project=plan.project, stage=stage, earlier=earlier, project_groups=project_groups
            )
        except EmptyCohort as exc:
            previews.append(StagePreview(stage, None, excluded, empty_reason=str(exc)))
            continue
        devices_filter = deploy_filter(cohort=cohort, online_only=stage.online_only)
        previews.append(StagePreview(stage, devices_filter, excluded))
    return previews
