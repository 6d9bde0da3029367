"""Editing the stages of a paused rollout that have not started yet (a release manager fixes a
group name Upswift rejected, then resumes). A stage's values pass the same checks as a plan's
stages, among the rollout's other stages; the change is one conditional update and one event.
The plan the rollout was started from is left as it is."""

import copy

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction

from rollouts.engine.lifecycle import Action, action_check
from rollouts.models import EventKind, Rollout, RolloutStage, RolloutStatus, StageStatus
from rollouts.services.errors import ActionRefused
from rollouts.services.events import TransitionConflict, event_record
from rollouts.services.plans import plan_stages_validate

EDITABLE_FIELDS = RolloutStage.SPEC_FIELDS
# The model's fields that are not part of a stage's spec (left out of its field checks).
_NOT_SPEC = tuple(f.name for f in RolloutStage._meta.fields if f.name not in EDITABLE_FIELDS)


def stage_edit_check(*, rollout: Rollout, position: int, actor) -> tuple[list, RolloutStage]:
    """The rollout's stages and the one at `position`, if its state allows editing it now;
    else TransitionConflict (services.errors.ActionRefused) with a sentence saying why not.
    The operate permission is checked where the request comes in (view or API)."""
    current = Rollout.objects.get(pk=rollout.pk)  # the state now, not the caller's copy
    stages = list(current.stages.order_by("position"))
    stage = next((s for s in stages if s.position == position), None)
    if stage is None:
        raise RolloutStage.DoesNotExist(f"Rollout {rollout.pk} has no stage {position}.")
    try:
        action_check(rollout=current, action=Action.EDIT_STAGES, user=actor, stages=stages)
    except ActionRefused as exc:
        # Paused with no stage left to edit: the sentence below says why not this one.
        if exc.code != "conflict" or current.status != RolloutStatus.PAUSED:
            raise
    if stage.status != StageStatus.PENDING:
        raise ActionRefused(
            f"Stage {position} is {stage.status}: only a stage that has not started can be edited."
        )
    return stages, stage


def rollout_stage_edit(*, rollout: Rollout, position: int, changes: dict, actor) -> RolloutStage:
    """Apply `changes` (stage field names) to a pending stage of a paused rollout.

    Raises ValidationError keyed by field name (as a plan stage's checks word it), or
    TransitionConflict when the rollout or the stage is not in a state that allows it (now, or
    a moment later: someone resumed or the engine started the stage). Nothing changed, no event.
    """
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValidationError(
            {name: ["This field of a stage cannot be edited."] for name in unknown}
        )
    stages, stage = stage_edit_check(rollout=rollout, position=position, actor=actor)
    after = _validated(stages=stages, stage=stage, changes=changes)
    before = stage.spec()
    changed = [name for name in EDITABLE_FIELDS if after[name] != before[name]]
    if not changed:
        return stage
    with transaction.atomic():
        # Holds off a resume (its conditional update of the rollout waits for this one), so
        # the engine never starts the stage from the values it had before this edit.
        list(Rollout.objects.select_for_update().filter(pk=rollout.pk).values_list("pk"))
        won = RolloutStage.objects.filter(
            pk=stage.pk, status=StageStatus.PENDING, rollout__status=RolloutStatus.PAUSED
        ).update(**{name: after[name] for name in changed})
        if won != 1:
            raise TransitionConflict(
                f"Rollout {rollout.pk} or its stage {position} changed a moment ago: the stage "
                "was not saved."
            )
        event_record(
            rollout=rollout,
            stage=stage,
            kind=EventKind.STAGE_EDITED,
            actor=actor,
            details={
                "before": {name: before[name] for name in changed},
                "after": {name: after[name] for name in changed},
            },
        )
    stage.refresh_from_db()
    return stage


def _validated(*, stages: list[RolloutStage], stage: RolloutStage, changes: dict) -> dict:
    """The stage's spec with `changes`, checked as a plan stage among the rollout's stages
    (plans.plan_stages_validate), then by the model's own field checks (lengths, booleans)."""
    index = stages.index(stage)
    specs = [s.spec() for s in stages]
    specs[index] = {**specs[index], **changes}
    try:
        cleaned = plan_stages_validate(specs)[index]
    except ValidationError as exc:
        raise _errors_of(exc, stages=stages, stage=stage) from None
    candidate = copy.copy(stage)
    for name in EDITABLE_FIELDS:
        if name in cleaned:  # a blank number is left out: it keeps its value
            setattr(candidate, name, cleaned[name])
    candidate.clean_fields(exclude=_NOT_SPEC)
    return candidate.spec()


def _errors_of(exc: ValidationError, *, stages: list[RolloutStage], stage: RolloutStage):
    """`stages.N.field` errors as `field` errors of the edited stage. An error the edit causes
    on another stage (a group now in two stages) names that stage."""
    errors: dict[str, list[str]] = {}
    for key, messages in exc.message_dict.items():
        parts = key.split(".")
        if len(parts) != 3 or not parts[1].isdigit():
            errors.setdefault(NON_FIELD_ERRORS, []).extend(messages)
            continue
        other = stages[int(parts[1]) - 1]
        if other.pk != stage.pk:
            messages = [f"Stage {other.position}: {m}" for m in messages]
        errors.setdefault(parts[2], []).extend(messages)
    return ValidationError(errors)
