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


class ApproveSerializer(serializers.Serializer):
    comment = _text(help_text="Shown in the rollout's history.")


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
