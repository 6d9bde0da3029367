"""The records of a rollout as the REST API shows them: its events and its Upswift calls (the
request stored with the token already redacted, and scrubbed again on the way out)."""

from rest_framework import serializers

from rollouts.api.serializers import JSONObjectField, ScrubbedMixin, _username
from rollouts.models import ApiCall, Event


class EventSerializer(ScrubbedMixin, serializers.ModelSerializer):
    stage = serializers.IntegerField(source="stage.position", read_only=True, allow_null=True)
    actor = _username("actor")
    details = JSONObjectField(read_only=True)

    class Meta:
        model = Event
        fields = (
            "id",
            "kind",
            "stage",
            "actor",
            "from_status",
            "to_status",
            "reason",
            "details",
            "created_at",
        )
        read_only_fields = fields


class EventFilterSerializer(serializers.Serializer):
    after = serializers.IntegerField(
        min_value=0, required=False, help_text="Only events with an id above this one."
    )


class ApiCallSerializer(ScrubbedMixin, serializers.ModelSerializer):
    """One Upswift call. `request` is what was sent, with the user token shown as `***`."""

    stage = serializers.IntegerField(source="stage.position", read_only=True, allow_null=True)
    request = JSONObjectField(read_only=True)

    class Meta:
        model = ApiCall
        fields = (
            "id",
            "stage",
            "kind",
            "state",
            "attempt",
            "request",
            "http_status",
            "error_message",
            "retryable",
            "pages",
            "duration_ms",
            "not_before",
            "created_at",
            "sent_at",
            "completed_at",
        )
        read_only_fields = fields


# --- Errors (for the schema)
