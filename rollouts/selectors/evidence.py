"""What a person approving the next stage is shown, and what the approval keeps.

One dict, the same for the approve dialog, the REST API and the STAGE_APPROVED event: the stage
to start with its device count (its cohort, or the fleet inventory's count), every earlier
stage's result (succeeded, failed, pending, not reached, the percentage against its thresholds,
soak, an accepted shortfall), who may approve, and whether a comment is required. Its
`fingerprint` covers only what would change the decision (which stage; an earlier stage's
failures, status, whether its threshold is met, an accepted shortfall), not devices that
succeed meanwhile: an approval posted with an older fingerprint is refused ("the numbers
changed — review again").
"""

import hashlib
import json

from rollouts.engine.lifecycle import stage_threshold_met
from rollouts.models import Rollout, RolloutStage
from rollouts.selectors.approvals import approvers_for, approvers_list
from rollouts.selectors.passes import passes_of, passes_text


def stage_result(stage: RolloutStage) -> dict:
    """A stage's numbers as the last read-back left them."""
    total = stage.devices_total
    failed = stage.count_failed + stage.count_aborted
    return {
        "position": stage.position,
        "name": stage.name,
        "target": stage.target_label,
        "status": stage.status,
        "devices": total,
        "succeeded": stage.count_success,
        "failed": failed,
        "pending": stage.count_pending + stage.count_in_progress,
        "not_reached": stage.count_not_reached,
        "succeeded_percent": round(stage.count_success * 100 / total, 1) if total else None,
        "success_threshold": stage.success_threshold,
        "failure_threshold": stage.failure_threshold,
        "soak_minutes": stage.soak_minutes,
        "threshold_met": stage_threshold_met(stage) if total else None,
        "shortfall": (
            {
                "by": _name(stage.shortfall_accepted_by),
                "at": stage.shortfall_accepted_at.isoformat(),
                "reason": stage.shortfall_reason,
            }
            if stage.shortfall_accepted_at
            else None
        ),
    }


def stage_target(*, rollout: Rollout, stages: list[RolloutStage], stage: RolloutStage) -> dict:
    """The stage to start and how many devices it will deploy to.

    A stage that started counts its cohort. One not started is counted by the fleet inventory
    (`rollouts/selectors/fleet.py`, with every earlier stage's devices excluded as the engine
    does) once the inventory has been read; before that its count is unknown (null) and the
    dialog says so."""
    target = {
        "position": stage.position,
        "name": stage.name,
        "target": stage.target_label,
        "devices": None,
        "online": None,
        "at_most": False,
        "counted_by": "",
    }
    if stage.started_at or stage.devices_total:
        return {**target, "devices": stage.devices_total, "counted_by": "cohort"}
    from rollouts.selectors.fleet import stage_target_counts

    counts = stage_target_counts(rollout.project, stages)
    if not counts.known:
        return target
    count = counts.stages[stage.position - 1]
    return {
        **target,
        "devices": count.devices,
        "online": count.online,
        "at_most": count.app_unchecked,
        "counted_by": "inventory",
    }


def approval_evidence(
    *, rollout: Rollout, stages: list[RolloutStage], stage: RolloutStage, passes=None
):
    """The evidence for approving `stage` (see the module docstring), as plain JSON.
    `passes`: the stages' passes when the caller has read them (selectors/passes.py)."""
    done = [s for s in stages if s.position < stage.position]
    earlier = [stage_result(s) for s in done]
    passes = passes if passes is not None else passes_of(done)
    for result, earlier_stage in zip(earlier, done, strict=True):
        result["passes"] = passes[earlier_stage.pk]  # each deploy's and retry's own numbers
        result["passes_text"] = passes_text(result["passes"])
    previous = earlier[-1] if earlier else None
    fell_short = bool(previous and (previous["threshold_met"] is False or previous["shortfall"]))
    approvers = approvers_for(rollout=rollout, approvers=approvers_list())
    evidence = {
        "stage": stage_target(rollout=rollout, stages=stages, stage=stage),
        "earlier": earlier,
        "four_eyes": rollout.require_different_approver,
        "started_by": _name(rollout.started_by) if rollout.started_by_id else None,
        "approvers": [u.get_username() for u in approvers],
        "comment_required": bool(rollout.require_different_approver or fell_short),
        "previous_fell_short": fell_short,
    }
    evidence["fingerprint"] = evidence_fingerprint(evidence)
    return evidence


def evidence_fingerprint(evidence: dict) -> str:
    """A digest of what would change the decision (see the module docstring)."""
    key = [
        evidence["stage"]["position"],
        [
            (e["position"], e["status"], e["failed"], e["threshold_met"], bool(e["shortfall"]))
            for e in evidence["earlier"]
        ],
    ]
    return hashlib.sha256(json.dumps(key).encode()).hexdigest()[:16]


def _name(user) -> str | None:
    return user.get_username() if user else None
