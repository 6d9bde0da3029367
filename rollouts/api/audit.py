"""The event export: every event of a date range, paged, for auditors and their tools."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from rollouts.api.base import ApiView, responses, valid
from rollouts.api.permissions import VIEW_EVENT, VIEW_ROLLOUT
from rollouts.api.record_serializers import EventSerializer
from rollouts.selectors.audit import events_in_range


class EventRangeSerializer(serializers.Serializer):
    """`from` and `to` are days (YYYY-MM-DD, the site's time zone), both included; either may
    be left out."""

    def get_fields(self):  # `from` is a Python keyword: declared here, not as an attribute
        return {
            "from": serializers.DateField(required=False, help_text="First day (included)."),
            "to": serializers.DateField(required=False, help_text="Last day (included)."),
        }

    def validate(self, attrs: dict) -> dict:
        if attrs.get("from") and attrs.get("to") and attrs["from"] > attrs["to"]:
            raise serializers.ValidationError({"to": "The last day is before the first day."})
        return attrs


class AuditEventSerializer(EventSerializer):
    rollout = serializers.IntegerField(source="rollout_id", read_only=True)

    class Meta(EventSerializer.Meta):
        fields = ("id", "rollout", *EventSerializer.Meta.fields[1:])
        read_only_fields = fields


class EventExportView(ApiView):
    required_perms = {"GET": (VIEW_ROLLOUT, VIEW_EVENT)}
    serializer_class = AuditEventSerializer

    @extend_schema(
        operation_id="events_export",
        tags=["rollouts"],
        summary="Every event of a date range",
        description="Every rollout's events from `from` to `to` (days, both included), oldest "
        "first, paged: follow `next` until it is null for the whole range. The same as the "
        "history page's events CSV.",
        parameters=[EventRangeSerializer],
        responses=responses({200: AuditEventSerializer(many=True)}, 400),
    )
    def get(self, request):
        dates = valid(EventRangeSerializer, request.query_params)
        events = events_in_range(since=dates.get("from"), until=dates.get("to"))
        page = self.paginate_queryset(events)
        return self.get_paginated_response(AuditEventSerializer(page, many=True).data)
