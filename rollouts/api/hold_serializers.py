"""The bodies of the kill switch and the freeze windows (rollouts/api/holds.py)."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from rollouts.api.action_serializers import required_reason
from rollouts.limits import REASON_MAX
from rollouts.models import WEEKDAY_NAMES, FreezeWindow, KillSwitchUse, Recurrence
from rollouts.services.freeze_windows import WINDOW_FIELDS
from rollouts.services.freezes import window_end


class KillSwitchUseSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    resumed_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    paused = serializers.ListField(
        child=serializers.IntegerField(), help_text="Ids of the rollouts it paused."
    )
    resumed = serializers.ListField(
        child=serializers.IntegerField(), help_text="Ids of the rollouts its release resumed."
    )

    class Meta:
        model = KillSwitchUse
        fields = [
            "id",
            "actor",
            "reason",
            "at",
            "engaged",
            "paused",
            "resumed_at",
            "resumed_by",
            "resume_reason",
            "resumed",
        ]
        read_only_fields = fields


class KillSwitchStateSerializer(serializers.Serializer):
    on = serializers.BooleanField(help_text="True while the kill switch is on.")
    use = KillSwitchUseSerializer(
        allow_null=True, help_text="The use that is on, else the last one (null: never used)."
    )


class KillSwitchEngageSerializer(serializers.Serializer):
    reason = required_reason(
        why="every rollout is paused",
        help_text="Why every rollout is paused (required); each paused rollout says it.",
    )


class FreezeOverrideSerializer(serializers.Serializer):
    reason = required_reason(
        why="this rollout goes on during the freeze",
        help_text="Why this rollout goes on during the freeze (required).",
    )


class WallDateTimeField(serializers.DateTimeField):
    """A date-time with a UTC offset, or without one: then a wall time in the window's
    `timezone`."""

    def enforce_timezone(self, value):
        return value if timezone.is_naive(value) else super().enforce_timezone(value)


class FreezeWindowSerializer(serializers.ModelSerializer):
    weekdays = serializers.SerializerMethodField()
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    active_until = serializers.SerializerMethodField()

    class Meta:
        model = FreezeWindow
        fields = ["id", *WINDOW_FIELDS, "created_by", "created_at", "active_until"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(WEEKDAY_NAMES)))
    def get_weekdays(self, window: FreezeWindow) -> list[str]:
        return [WEEKDAY_NAMES[d] for d in window.weekdays]

    @extend_schema_field(
        serializers.DateTimeField(
            allow_null=True, help_text="While the window is on: when it ends; else null."
        )
    )
    def get_active_until(self, window: FreezeWindow):
        end = window_end(window, timezone.now())
        return serializers.DateTimeField().to_representation(end) if end else None


class FreezeWindowInputSerializer(serializers.Serializer):
    """The fields' types; the rules (an end after the start, a known time zone, at least one
    weekday, ...) are the service's, whose errors name the field."""

    name = serializers.CharField(max_length=120)
    project = serializers.CharField(
        max_length=120, allow_blank=True, default="", help_text="Empty: every project."
    )
    recurrence = serializers.ChoiceField(choices=Recurrence.choices)
    starts_at = WallDateTimeField(
        required=False, allow_null=True, default=None, help_text="One-off windows."
    )
    ends_at = WallDateTimeField(
        required=False, allow_null=True, default=None, help_text="One-off windows."
    )
    weekdays = serializers.ListField(
        child=serializers.ChoiceField(WEEKDAY_NAMES),
        required=False,
        default=list,
        max_length=7,
        help_text="Weekly windows: mon, tue, wed, thu, fri, sat, sun.",
    )
    start_time = serializers.TimeField(
        required=False, allow_null=True, default=None, help_text="Weekly windows, e.g. 18:00."
    )
    end_time = serializers.TimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Weekly windows; at or before `start_time`: the next day.",
    )
    timezone = serializers.CharField(max_length=64, help_text="An IANA name, e.g. Europe/Berlin.")
    reason = serializers.CharField(max_length=REASON_MAX)

    def validate_weekdays(self, value: list[str]) -> list[int]:
        return [WEEKDAY_NAMES.index(name) for name in value]


class FreezeWindowFilterSerializer(serializers.Serializer):
    project = serializers.CharField(
        max_length=120,
        required=False,
        allow_blank=True,
        help_text="Only the windows that apply to this project (its own and every project's).",
    )
