"""GET /rollouts/{id}/approval: the evidence for approving the stage the rollout waits on.

The same numbers the approve dialog shows (rollouts/selectors/evidence.py), who may approve,
whether a comment is required, and the `fingerprint` to send back with the approval: if what
matters changed meanwhile, the approval answers 409 `numbers_changed` with the new evidence."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from rollouts.api.base import ApiView, found, responses
from rollouts.api.errors import Conflict
from rollouts.api.permissions import VIEW_ROLLOUT
from rollouts.api.serializers import JSONObjectField
from rollouts.engine.lifecycle import Awaiting, approve_refusal, rollout_waiting
from rollouts.models import Rollout
from rollouts.selectors.evidence import approval_evidence


class StageResultSerializer(serializers.Serializer):
    """An earlier stage's result at the last read-back."""

    position = serializers.IntegerField()
    name = serializers.CharField(allow_blank=True)
    target = serializers.CharField()
    status = serializers.CharField()
    devices = serializers.IntegerField()
    succeeded = serializers.IntegerField()
    failed = serializers.IntegerField(help_text="Failed or aborted.")
    pending = serializers.IntegerField(help_text="Pending or in progress.")
    not_reached = serializers.IntegerField(help_text="Offline devices not reached yet.")
    succeeded_percent = serializers.FloatField(allow_null=True)
    success_threshold = serializers.IntegerField()
    failure_threshold = serializers.IntegerField()
    soak_minutes = serializers.IntegerField()
    threshold_met = serializers.BooleanField(allow_null=True)
    shortfall = JSONObjectField(
        allow_null=True, help_text="Accepted below its threshold: `by`, `at`, `reason`."
    )


class ApprovalSerializer(serializers.Serializer):
    stage = JSONObjectField(
        help_text="The stage to start: `position`, `name`, `target`, `devices` (null when the "
        "count is not known before it starts)."
    )
    earlier = StageResultSerializer(many=True)
    four_eyes = serializers.BooleanField()
    started_by = serializers.CharField(allow_null=True)
    approvers = serializers.ListField(child=serializers.CharField())
    comment_required = serializers.BooleanField()
    previous_fell_short = serializers.BooleanField()
    fingerprint = serializers.CharField(
        help_text="Send it with the approval: 409 `numbers_changed` if what matters changed."
    )
    may_approve = serializers.BooleanField(help_text="Whether the token's user may approve.")
    why_not = serializers.CharField(allow_blank=True, help_text="Why not, in words; else empty.")


class RolloutApprovalView(ApiView):
    required_perms = {"GET": (VIEW_ROLLOUT,)}
    serializer_class = ApprovalSerializer

    @extend_schema(
        operation_id="rollouts_approval",
        summary="The evidence for the next approval",
        description="409 unless a stage waits for approval.",
        responses=responses({200: ApprovalSerializer}, 404, 409),
    )
    def get(self, request, pk: int):
        rollout = found(Rollout, pk)
        stages = list(rollout.stages.select_related("shortfall_accepted_by").order_by("position"))
        waiting = rollout_waiting(rollout=rollout, stages=stages)
        if waiting.kind != Awaiting.APPROVAL:
            raise Conflict(f"No stage is waiting for approval. {waiting.sentence}".strip())
        return Response(approval_answer(rollout=rollout, stages=stages, user=request.user))


def approval_answer(*, rollout: Rollout, stages, user) -> dict:
    """The evidence, and whether `user` may approve (and why not)."""
    waiting = rollout_waiting(rollout=rollout, stages=stages)
    evidence = approval_evidence(rollout=rollout, stages=stages, stage=waiting.stage)
    why_not = approve_refusal(rollout=rollout, user=user)
    return {**evidence, "may_approve": not why_not, "why_not": why_not}
