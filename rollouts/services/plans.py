"""Creating and editing plans. Rules: at least one stage; a tag for a tag stage, groups for a
groups stage; `all` only as the last stage; thresholds within 0-100, minutes within
NUMBER_BOUNDS; no group in two stages. Only an admin sets or changes the four-eyes flag
(`require_different_approver`): the people it checks must not switch it off. Every save is a
new PlanVersion (who, when, before and after)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from rollouts.limits import unprintable
from rollouts.models import Plan, PlanStage, PlanVersion, Target
from rollouts.services.errors import ActionRefused
from rollouts.services.fleet_names import names_enforce

FOUR_EYES_FIELD = "require_different_approver"
PLAN_VERSION_FIELDS = ("name", "project", "description", FOUR_EYES_FIELD)

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
        fields = ("name", "tag", "groups", "app_filter", "device_filter")
        for field, messages in unprintable({f: stage[f] for f in fields}).items():
            errors.setdefault(f"{key}.{field}", messages)
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
    if require_different_approver:
        _four_eyes_check(actor)
    cleaned = plan_stages_validate(stages)
    names_enforce(project=project.strip(), stages=cleaned)
    with transaction.atomic():
        plan = Plan(
            name=name.strip(),
            project=project.strip(),
            description=description,
            require_different_approver=require_different_approver,
            created_by=actor,
        )
        _printable_check(plan)
        plan.full_clean()
        plan.save()
        _stages_write(plan, cleaned)
        plan_version_record(plan=plan, actor=actor, before={})
    return plan


def plan_update(*, plan: Plan, stages: list[dict] | None = None, actor=None, **fields) -> Plan:
    """Change the plan; refused (403) when a non-admin changes its four-eyes flag. `actor`
    None is the system (a migration, a test); people always pass themselves."""
    four_eyes = fields.get(FOUR_EYES_FIELD, plan.require_different_approver)
    if bool(four_eyes) != plan.require_different_approver:
        _four_eyes_check(actor)
    cleaned = plan_stages_validate(stages) if stages is not None else None
    if cleaned is not None or "project" in fields:
        names_enforce(
            project=str(fields.get("project", plan.project)).strip(),
            stages=cleaned if cleaned is not None else list(plan.stages.all()),
        )
    with transaction.atomic():
        locked = Plan.objects.select_for_update().get(pk=plan.pk)
        before = plan_snapshot(locked)
        for name, value in fields.items():
            setattr(plan, name, value)
        _printable_check(plan)
        plan.full_clean()
        plan.save()
        if cleaned is not None:
            plan.stages.all().delete()
            _stages_write(plan, cleaned)
        plan_version_record(plan=plan, actor=actor, before=before)
    return plan


def _four_eyes_check(actor) -> None:
    if actor is not None and not getattr(actor, "is_superuser", False):
        raise ActionRefused(
            "Only an admin can change whether a plan needs a different approver (four-eyes).",
            code="permission_denied",
            field=FOUR_EYES_FIELD,
        )


def plan_snapshot(plan: Plan) -> dict:
    """What a version keeps of a plan: its fields and its stages' specs, in order."""
    return {
        **{field: getattr(plan, field) for field in PLAN_VERSION_FIELDS},
        "stages": [s.spec() for s in plan.stages.order_by("position")],
    }


def plan_version_record(*, plan: Plan, actor, before: dict) -> PlanVersion | None:
    """A new version when the plan differs from `before` (a save that changed nothing is no
    version). The caller holds the transaction (and, for an edit, the plan's row lock)."""
    after = plan_snapshot(plan)
    if before and after == before:
        return None
    last = plan.versions.aggregate(n=Max("number"))["n"] or 0
    return PlanVersion.objects.create(
        plan=plan,
        number=last + 1,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        before=before,
        after=after,
    )


def plan_version_current(plan: Plan) -> PlanVersion:
    """The plan's latest version (a plan saved before versions existed gets its first now)."""
    version = plan.versions.order_by("-number").first()
    if version is None:
        version = plan_version_record(plan=plan, actor=None, before={})
    return version


def _stages_write(plan: Plan, stages: list[dict]) -> None:
    PlanStage.objects.bulk_create(
        PlanStage(plan=plan, position=n, **stage) for n, stage in enumerate(stages, start=1)
    )


def _printable_check(plan: Plan) -> None:
    """A plan's name and project refuse control characters, as a rollout's fields do (the
    project goes to the Upswift API with every call)."""
    errors = unprintable({"name": plan.name, "project": plan.project})
    if errors:
        raise ValidationError(errors)
