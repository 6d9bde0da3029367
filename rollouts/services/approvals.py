"""Approving the next stage: on evidence, with four-eyes, once.

The approver is shown the evidence (rollouts/selectors/evidence.py); the approval keeps it on its
event, and is refused when what matters in it changed since it was shown."""

from django.db import transaction
from django.utils import timezone

from rollouts.engine.lifecycle import Action, action_check, stage_current
from rollouts.models import EventKind, Rollout, RolloutStage, StageStatus
from rollouts.selectors.evidence import approval_evidence
from rollouts.services.errors import ActionRefused
from rollouts.services.events import TransitionConflict, event_record


def _enqueue_advance(rollout_id: int) -> None:
    from rollouts.tasks import rollout_advance_task

    transaction.on_commit(lambda: rollout_advance_task.delay(rollout_id))


class NumbersChanged(ActionRefused):
    """The evidence changed in a way that matters since the person saw it: they must look
    again. Carries the new evidence."""

    def __init__(self, evidence: dict) -> None:
        super().__init__("The numbers changed — review again.", code="numbers_changed")
        self.evidence = evidence


def stage_approve(
    *, rollout: Rollout, actor, comment: str = "", fingerprint: str | None = None
) -> RolloutStage:
    """Approve the stage the rollout waits on, keeping the evidence the approver was shown.

    `fingerprint` is that of the evidence the person saw (the page always sends it, the API
    may): when the evidence now has another one, NumbersChanged. A comment is required under
    four-eyes and when the previous stage fell short. Only one of many concurrent approvals
    wins."""
    stages = action_check(rollout=rollout, action=Action.APPROVE, user=actor)
    stage = stage_current(stages)
    evidence = approval_evidence(rollout=rollout, stages=stages, stage=stage)
    if fingerprint and fingerprint != evidence["fingerprint"]:
        raise NumbersChanged(evidence)
    comment = comment.strip()
    if evidence["comment_required"] and not comment:
        why = (
            "four-eyes is on"
            if evidence["four_eyes"]
            else f"stage {stage.position - 1} fell short of its success threshold"
        )
        raise ActionRefused(
            f"Say why you approve: a comment is required when {why}.",
            code="invalid",
            field="comment",
        )
    with transaction.atomic():
        won = RolloutStage.objects.filter(
            pk=stage.pk, status=StageStatus.PENDING, approved_at=None
        ).update(approved_by=actor, approved_at=timezone.now(), approval_comment=comment)
        if won != 1:
            raise TransitionConflict("This stage was approved by someone else a moment ago.")
        event_record(
            rollout=rollout,
            stage=stage,
            kind=EventKind.STAGE_APPROVED,
            actor=actor,
            reason=comment,
            details={"evidence": evidence},
        )
        _enqueue_advance(rollout.pk)
    stage.refresh_from_db()
    return stage
