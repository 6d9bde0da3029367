"""POST /rollouts/{id}/<action>: start, approve, pause, resume, abort, retry, accept-shortfall,
send-again, confirm-sent. Each calls one service; a state that does not allow the action is a
409 (rollouts/engine/lifecycle.py decides), and the answer is the rollout after, with its
ETag. With `If-Match`, the action is taken only on the rollout as the client last read it
(else 412, see conditional.py)."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from rollouts.api import conditional, selectors
from rollouts.api.action_serializers import (
    AbortSerializer,
    ApproveSerializer,
    ReasonSerializer,
    RetrySerializer,
    ShortfallSerializer,
    StartSerializer,
)
from rollouts.api.base import ApiView, found, responses, valid
from rollouts.api.errors import Conflict, service_errors
from rollouts.api.permissions import APPROVE_ROLLOUT, OPERATE_ROLLOUT, VIEW_ROLLOUT
from rollouts.api.serializers import RolloutDetailSerializer, open_stage
from rollouts.models import Rollout
from rollouts.services.actions import (
    NumbersChanged,
    rollout_abort,
    rollout_pause,
    rollout_resume,
    rollout_start,
    stage_accept_shortfall,
    stage_approve,
    stage_deploy_confirm,
    stage_deploy_resend,
    stage_retry_failed,
)


def rollout_data(view, pk: int) -> dict:
    """The rollout as GET /rollouts/{id} answers it to this request's user (its ETag's input)."""
    rollout = selectors.rollout_detail(pk=pk)
    return RolloutDetailSerializer(rollout, context=view.get_serializer_context()).data


class RolloutActionView(ApiView):
    """POST an action; the answer is the rollout as it is after it."""

    required_perms = {"POST": (VIEW_ROLLOUT, OPERATE_ROLLOUT)}
    input_serializer: type[serializers.Serializer]
    etag_answers = if_match = ("POST",)

    def post(self, request, pk: int):
        rollout = found(Rollout, pk)
        conditional.if_match(request, lambda: rollout_data(self, pk))
        data = valid(self.input_serializer, request.data)
        with service_errors():
            self.act(rollout=rollout, actor=request.user, **data)
        return conditional.answer(request, rollout_data(self, pk))

    def act(self, *, rollout: Rollout, actor, **data) -> None:
        raise NotImplementedError


def action_schema(name: str, summary: str, description: str, request):
    return extend_schema_view(
        post=extend_schema(
            operation_id=f"rollouts_{name}",
            summary=summary,
            description=description,
            request=request,
            responses=responses({200: RolloutDetailSerializer}, 400, 404, 409),
        )
    )


@action_schema(
    "start",
    "Start a draft rollout",
    "Now, or at `scheduled_at`. 409 unless the rollout is a draft.",
    StartSerializer,
)
class RolloutStartView(RolloutActionView):
    input_serializer = StartSerializer

    def act(self, *, rollout, actor, scheduled_at, overlap_reason) -> None:
        rollout_start(rollout=rollout, actor=actor, at=scheduled_at, overlap_reason=overlap_reason)


@action_schema(
    "approve",
    "Approve the next stage",
    "409 unless the rollout is running and a stage waits for approval, and 409 "
    "`numbers_changed` (with the new `evidence`) when `fingerprint` is given and what matters "
    "changed since; 403 without the approve permission, or under four-eyes for the person who "
    "started the rollout. The approval keeps the evidence on its event.",
    ApproveSerializer,
)
class RolloutApproveView(RolloutActionView):
    required_perms = {"POST": (VIEW_ROLLOUT, APPROVE_ROLLOUT)}
    input_serializer = ApproveSerializer

    def post(self, request, pk: int):
        try:
            return super().post(request, pk)
        except Conflict as conflict:  # service_errors made it one; the evidence goes along
            changed = conflict.__cause__
            if not isinstance(changed, NumbersChanged):
                raise
            body = {"detail": str(changed), "code": changed.code, "evidence": changed.evidence}
            return Response(body, status=409)

    def act(self, *, rollout, actor, comment, fingerprint) -> None:
        stage_approve(rollout=rollout, actor=actor, comment=comment, fingerprint=fingerprint)


@action_schema("pause", "Pause", "409 unless the rollout is running.", ReasonSerializer)
class RolloutPauseView(RolloutActionView):
    input_serializer = ReasonSerializer

    def act(self, *, rollout, actor, reason) -> None:
        rollout_pause(rollout=rollout, actor=actor, reason=reason)


@action_schema(
    "resume",
    "Resume",
    "409 unless the rollout is paused. Failures so far are accepted.",
    ReasonSerializer,
)
class RolloutResumeView(RolloutActionView):
    input_serializer = ReasonSerializer

    def act(self, *, rollout, actor, reason) -> None:
        rollout_resume(rollout=rollout, actor=actor, reason=reason)


@action_schema(
    "abort",
    "Abort",
    "For good; `reason` is required. 409 when the rollout is already over. Upswift cannot "
    "cancel updates already queued on devices.",
    AbortSerializer,
)
class RolloutAbortView(RolloutActionView):
    input_serializer = AbortSerializer

    def act(self, *, rollout, actor, reason) -> None:
        rollout_abort(rollout=rollout, actor=actor, reason=reason)


@action_schema(
    "retry",
    "Retry a stage's failed devices",
    "Deploy again to the devices of stage `stage` (default: the stage open now) whose update "
    "failed. 409 unless that stage is monitoring and has failed devices.",
    RetrySerializer,
)
class RolloutRetryView(RolloutActionView):
    input_serializer = RetrySerializer

    def act(self, *, rollout, actor, stage) -> None:
        if stage is None:
            target = open_stage(rollout)
            if target is None:
                raise Conflict(f"Rollout {rollout.pk} has no open stage to retry.")
        else:
            target = rollout.stages.filter(position=stage).first()
            if target is None:
                raise ValidationError({"stage": [f"Rollout {rollout.pk} has no stage {stage}."]})
        stage_retry_failed(rollout=rollout, stage=target, actor=actor)


@action_schema(
    "accept_shortfall",
    "Accept the open stage below its success threshold",
    "Close the stage the rollout is paused on (monitoring, below its success threshold) with "
    "`reason` (required) and the numbers as evidence, and carry on with the next stage. 409 "
    "unless the rollout is paused on such a stage (`accept_shortfall` in `actions`).",
    ShortfallSerializer,
)
class RolloutAcceptShortfallView(RolloutActionView):
    input_serializer = ShortfallSerializer

    def act(self, *, rollout, actor, reason) -> None:
        stage_accept_shortfall(rollout=rollout, actor=actor, reason=reason)


@action_schema(
    "send_again",
    "Send a lost deploy again",
    "The rollout paused because the answer to its stage's deploy call was lost "
    "(`deploy_unknown`) and you found Upswift did not queue it: send the deploy again and "
    "resume. 409 unless `send_again` is in `actions`.",
    ReasonSerializer,
)
class RolloutSendAgainView(RolloutActionView):
    input_serializer = ReasonSerializer

    def act(self, *, rollout, actor, reason) -> None:
        stage_deploy_resend(rollout=rollout, actor=actor, reason=reason)


@action_schema(
    "confirm_sent",
    "Confirm a lost deploy was sent",
    "The rollout paused because the answer to its stage's deploy call was lost "
    "(`deploy_unknown`) and you found Upswift has it: record it as sent (nothing is sent "
    "again) and resume. 409 unless `confirm_sent` is in `actions`.",
    ReasonSerializer,
)
class RolloutConfirmSentView(RolloutActionView):
    input_serializer = ReasonSerializer

    def act(self, *, rollout, actor, reason) -> None:
        stage_deploy_confirm(rollout=rollout, actor=actor, reason=reason)
