"""The bodies of the actions on a rollout (rollouts/api/actions.py)."""

from rest_framework import serializers

from rollouts.limits import MAX_STAGES, REASON_MAX


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
    reason = serializers.CharField(
        max_length=REASON_MAX,
        help_text="Why the rollout is aborted (required).",
        error_messages={
            "blank": "Say why the rollout is aborted.",
            "required": "Say why the rollout is aborted.",
        },
    )


class ShortfallSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=REASON_MAX,
        help_text="Why the stage is accepted below its success threshold (required).",
        error_messages={
            "blank": "Say why the stage is accepted below its threshold.",
            "required": "Say why the stage is accepted below its threshold.",
        },
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
