"""PATCH /rollouts/{id}/stages/{position}: edit a stage of a paused rollout that has not
started. The fields and their checks are a plan stage's; the answer is the stage after.
`If-Match` takes the rollout's ETag: the edit is made only on the rollout as last read."""

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from rollouts.api import conditional
from rollouts.api.actions import rollout_data
from rollouts.api.base import ApiView, found, responses, valid
from rollouts.api.errors import service_errors
from rollouts.api.permissions import OPERATE_ROLLOUT, VIEW_ROLLOUT
from rollouts.api.serializers import PlanStageSerializer, RolloutStageSerializer
from rollouts.models import Rollout, StageSpec
from rollouts.services.stage_edits import rollout_stage_edit


class StageEditSerializer(PlanStageSerializer):
    """A plan stage's fields, each optional: only those given change."""

    class Meta(PlanStageSerializer.Meta):
        fields = StageSpec.SPEC_FIELDS
        read_only_fields = ()


class RolloutStageEditView(ApiView):
    required_perms = {"PATCH": (VIEW_ROLLOUT, OPERATE_ROLLOUT)}
    serializer_class = RolloutStageSerializer
    if_match = ("PATCH",)

    @extend_schema(
        operation_id="rollouts_stage_edit",
        summary="Edit a stage that has not started",
        description="Only while the rollout is paused and the stage is `pending` (else 409); "
        "the same checks as a plan's stages, among the rollout's other stages. Only the fields "
        "given change; the plan is left as it is. Resume the rollout to carry on.",
        request=StageEditSerializer,
        responses=responses({200: RolloutStageSerializer}, 400, 404, 409),
    )
    def patch(self, request, pk: int, position: int):
        rollout = found(Rollout, pk)
        if not rollout.stages.filter(position=position).exists():
            raise NotFound(f"Rollout {pk} has no stage {position}.")
        conditional.if_match(request, lambda: rollout_data(self, pk))
        changes = valid(StageEditSerializer, request.data, partial=True)
        with service_errors():
            stage = rollout_stage_edit(
                rollout=rollout, position=position, changes=changes, actor=request.user
            )
        return Response(RolloutStageSerializer(stage).data)
