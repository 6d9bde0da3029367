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


def plan_preview(*, plan: Plan, stages: list[PlanStage] | None = None) -> list[StagePreview]:
    """The Upswift filter each stage's deploy call would carry, without calling the API
    (`stages`: the plan's stages in order, when the caller has read them).

    Where a stage must list the project's other groups by name (read from the fleet when it
    starts), the preview shows them as one placeholder with the groups left out."""
    stages = list(plan.stages.order_by("position")) if stages is None else stages
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


@dataclass
class PlanVersionRow:
    """A plan version for the plan page: who, when, and each change as (what, before, after)."""

    number: int
    actor: str
    created_at: object
    changes: list[tuple[str, str, str]]


def plan_versions(*, plan: Plan, limit: int = 20) -> list[PlanVersionRow]:
    """The plan's latest versions, newest first, each with what it changed."""
    versions = plan.versions.select_related("actor").order_by("-number")[:limit]
    return [
        PlanVersionRow(v.number, v.actor_label, v.created_at, version_changes(v.before, v.after))
        for v in versions
    ]


def version_changes(before: dict, after: dict) -> list[tuple[str, str, str]]:
    """What differs between two plan snapshots (services/plans.py plan_snapshot), in words."""
    if not before:
        return [("plan", "", f"created with {len(after.get('stages', []))} stages")]
    changes = [
        (field.replace("_", " "), _shown(before.get(field)), _shown(after.get(field)))
        for field in after
        if field != "stages" and before.get(field) != after.get(field)
    ]
    old, new = before.get("stages", []), after.get("stages", [])
    for n in range(1, max(len(old), len(new)) + 1):
        was = old[n - 1] if n <= len(old) else None
        now = new[n - 1] if n <= len(new) else None
        if was is None or now is None:
            changes.append((f"stage {n}", _stage_shown(was), _stage_shown(now)))
            continue
        for key in now:
            if was.get(key) != now.get(key):
                what = f"stage {n} {key.replace('_', ' ')}"
                changes.append((what, _shown(was.get(key)), _shown(now.get(key))))
    return changes


def _shown(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _stage_shown(stage: dict | None) -> str:
    if stage is None:
        return "(none)"
    return stage.get("name") or stage.get("tag") or ", ".join(stage.get("groups", [])) or "all"
