"""Creating and editing plans. Rules: at least one stage; a tag for a tag stage, groups for a
groups stage; `all` only as the last stage; thresholds within 0-100, minutes within
NUMBER_BOUNDS; no group in two stages."""

from django.core.exceptions import ValidationError
from django.db import transaction

from rollouts.models import Plan, PlanStage, Target

# The bounds of a stage's numbers; the plan editor's form and the API's serializer use these.
MAX_SOAK_MINUTES = 7 * 24 * 60
MIN_DEADLINE_MINUTES = 1
MAX_DEADLINE_MINUTES = 7 * 24 * 60
NUMBER_BOUNDS = {
    "success_threshold": (0, 100),
    "failure_threshold": (0, 100),
    "soak_minutes": (0, MAX_SOAK_MINUTES),
    "deadline_minutes": (MIN_DEADLINE_MINUTES, MAX_DEADLINE_MINUTES),
}


def plan_stages_validate(stages: list[dict]) -> list[dict]:
    """Clean stage dicts (PlanStage field names); ValidationError keyed `stages.N.field`."""
    errors: dict[str, list[str]] = {}
    if not stages:
        raise ValidationError({"stages": ["A plan needs at least one stage."]})
    seen_groups: dict[str, int] = {}
    seen_tags: dict[str, int] = {}
    cleaned = []
    for n, raw in enumerate(stages, start=1):
        stage = {k: v for k, v in raw.items() if k in PlanStage.SPEC_FIELDS}
        stage.setdefault("target", "")
        key = f"stages.{n}"
        stage["tag"] = str(stage.get("tag") or "").strip()
        groups = stage.get("groups") or []
        if isinstance(groups, str):
            groups = groups.split(",")
        if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
            errors[f"{key}.groups"] = ["Groups must be a list of names."]
            groups = []
        stage["groups"] = [g.strip() for g in groups if g.strip()]
        target = stage["target"]
        if target not in Target.values:
            errors[f"{key}.target"] = [f"Choose one of: {', '.join(Target.values)}."]
        elif target == Target.TAG:
            if not stage["tag"]:
                errors[f"{key}.tag"] = ["A tag stage needs a tag (e.g. canary)."]
            elif stage["tag"] in seen_tags:
                errors[f"{key}.tag"] = [f"Tag already targeted by stage {seen_tags[stage['tag']]}."]
            seen_tags[stage["tag"]] = n
            stage["groups"] = []
        elif target == Target.GROUPS:
            if not stage["groups"]:
                errors.setdefault(f"{key}.groups", ["A groups stage needs at least one group."])
            for g in stage["groups"]:
                if g in seen_groups:
                    errors[f"{key}.groups"] = [f"Group {g} is already in stage {seen_groups[g]}."]
                seen_groups[g] = n
            stage["tag"] = ""
        elif target == Target.ALL:
            if n != len(stages):
                errors[f"{key}.target"] = ["An all-devices stage can only be the last stage."]
            stage["tag"], stage["groups"] = "", []
        for field, (low, top) in NUMBER_BOUNDS.items():
            if field not in stage or stage[field] in (None, ""):
                stage.pop(field, None)
                continue
            try:
                value = int(stage[field])
            except (TypeError, ValueError, OverflowError):  # OverflowError: int(float("inf"))
                errors[f"{key}.{field}"] = ["Must be a whole number."]
                continue
            if not low <= value <= top:
                errors[f"{key}.{field}"] = [f"Must be between {low} and {top}."]
            stage[field] = value
        for field in ("name", "app_filter", "device_filter"):
            stage[field] = str(stage.get(field) or "").strip()[:100]
        cleaned.append(stage)
    if errors:
        raise ValidationError(errors)
    return cleaned


def plan_create(
    *,
    name: str,
    project: str,
    stages: list[dict],
    description: str = "",
    require_different_approver: bool = False,
    actor=None,
) -> Plan:
    cleaned = plan_stages_validate(stages)
    with transaction.atomic():
        plan = Plan(
            name=name.strip(),
            project=project.strip(),
            description=description,
            require_different_approver=require_different_approver,
            created_by=actor,
        )
        plan.full_clean()
        plan.save()
        _stages_write(plan, cleaned)
    return plan


def plan_update(*, plan: Plan, stages: list[dict] | None = None, **fields) -> Plan:
    cleaned = plan_stages_validate(stages) if stages is not None else None
    with transaction.atomic():
        for name, value in fields.items():
            setattr(plan, name, value)
        plan.full_clean()
        plan.save()
        if cleaned is not None:
            plan.stages.all().delete()
            _stages_write(plan, cleaned)
    return plan


def _stages_write(plan: Plan, stages: list[dict]) -> None:
    PlanStage.objects.bulk_create(
        PlanStage(plan=plan, position=n, **stage) for n, stage in enumerate(stages, start=1)
    )
