"""The bodies of the actions on a rollout (rollouts/api/actions.py)."""

from rest_framework import serializers

from rollouts.limits import MAX_STAGES, REASON_MAX


def required_reason(*, why: str, help_text: str) -> serializers.CharField:
    """A reason a person must give: "Say why <why>." when it is missing or blank."""
    message = f"Say why {why}."
    return serializers.CharField(
        max_length=REASON_MAX,
        help_text=help_text,
        error_messages={"blank": message, "required": message},
    )


def _text(help_text: str) -> serializers.CharField:
    return serializers.CharField(
        max_length=REASON_MAX, required=False, allow_blank=True, default="", help_text=help_text
    )


class StartSerializer(serializers.Serializer):
    scheduled_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="Start then instead of now."
    )
    overlap_reason = _text(
        help_text="A release manager starting it although another active rollout targets some "
        "of the same devices (else 409 naming that rollout): why. Kept as an event."
    )


class ApproveSerializer(serializers.Serializer):
    comment = _text(
        help_text="Shown in the rollout's history; required under four-eyes and when the "
        "previous stage fell short (see GET /rollouts/{id}/approval)."
    )
    fingerprint = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        default="",
        help_text="The `fingerprint` of the evidence you reviewed: if what matters changed "
        "since, the answer is 409 `numbers_changed` with the new evidence.",
    )


class ReasonSerializer(serializers.Serializer):
    reason = _text(help_text="Shown in the rollout's history.")


class AbortSerializer(serializers.Serializer):
    reason = required_reason(
        why="the rollout is aborted", help_text="Why the rollout is aborted (required)."
    )


class ShortfallSerializer(serializers.Serializer):
    reason = required_reason(
        why="the stage is accepted below its threshold",
        help_text="Why the stage is accepted below its success threshold (required).",
    )


class RetrySerializer(serializers.Serializer):
    stage = serializers.IntegerField(
        min_value=1,
        max_value=MAX_STAGES,
        required=False,
        allow_null=True,
        default=None,
        help_text="Stage position; default the stage open now.",
    )
