"""/plans/{id}/preview (each stage's device counts now, and the names check) and /fleet/devices
(the inventory, filtered and paged); /fleet/refresh asks for a fresh read."""

from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from rollouts.api.base import ApiView, found, responses, valid
from rollouts.api.permissions import OPERATE_ROLLOUT, VIEW_PLAN, VIEW_ROLLOUT
from rollouts.engine.inventory import fleet_projects
from rollouts.models import FleetDevice, FleetRead, Plan
from rollouts.selectors.fleet import fleet_freshness, plan_target_counts
from rollouts.selectors.fleet_pages import FleetFilters, fleet_devices
from rollouts.services.fleet_names import names_check


class StageCountSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    target = serializers.CharField()
    devices = serializers.IntegerField()
    online = serializers.IntegerField()
    offline = serializers.IntegerField()
    at_most = serializers.BooleanField(help_text="An app filter the inventory cannot check.")
    empty_reason = serializers.CharField()


class PreviewSerializer(serializers.Serializer):
    project = serializers.CharField()
    fleet_read_at = serializers.DateTimeField(allow_null=True)
    stages = StageCountSerializer(many=True)
    total = serializers.IntegerField()
    total_online = serializers.IntegerField()
    total_offline = serializers.IntegerField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    warnings = serializers.ListField(child=serializers.CharField())


class FleetDeviceSerializer(serializers.ModelSerializer):
    tags = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = FleetDevice
        fields = [
            "project",
            "device_uuid",
            "name",
            "group",
            "tags",
            "online",
            "last_keepalive",
            "app_version",
            "agent_version",
            "latest_update",
            "updated_at",
        ]


class PlanPreviewView(ApiView):
    required_perms = {"GET": (VIEW_PLAN,)}
    serializer_class = PreviewSerializer

    @extend_schema(
        operation_id="plans_preview",
        summary="What a plan's stages would target now",
        description="Per stage, the devices it would target if it started now (each stage "
        "leaves out the earlier stages' devices, as the engine does), online and offline, from "
        "the fleet inventory (`fleet_read_at`: null when the project was never read), and the "
        "names check: unknown groups (`errors`) and tags no device has (`warnings`).",
        responses=responses({200: PreviewSerializer}, 404),
    )
    def get(self, request, pk: int):
        plan = found(Plan, pk)
        stages = list(plan.stages.order_by("position"))
        names = names_check(project=plan.project, stages=stages)
        body = plan_target_counts(plan).as_dict()
        return Response({**body, "errors": names.errors, "warnings": names.warnings})


class FleetFilterSerializer(serializers.Serializer):
    q = serializers.CharField(max_length=200, required=False, allow_blank=True)
    project = serializers.CharField(max_length=120, required=False, allow_blank=True)
    group = serializers.CharField(max_length=200, required=False, allow_blank=True)
    tag = serializers.CharField(max_length=100, required=False, allow_blank=True)
    online = serializers.ChoiceField(["online", "offline"], required=False, allow_blank=True)
    app_version = serializers.CharField(max_length=100, required=False, allow_blank=True)


FLEET_FILTERS = [
    OpenApiParameter(name, str, description=text)
    for name, text in (
        ("q", "Part of a device's name or uuid."),
        ("project", "Project name."),
        ("group", "Group name."),
        ("tag", "A tag the device has."),
        ("online", "`online` or `offline`."),
        ("app_version", "The version of the device's newest successful update."),
    )
]


class FleetDevicesView(ApiView):
    required_perms = {"GET": (VIEW_ROLLOUT,)}
    serializer_class = FleetDeviceSerializer

    @extend_schema(
        operation_id="fleet_devices",
        summary="The fleet inventory's devices",
        description="As last read from Upswift (see `/fleet/refresh`), by project and name.",
        parameters=FLEET_FILTERS,
        responses=responses({200: FleetDeviceSerializer(many=True)}, 400),
    )
    def get(self, request):
        filters = valid(FleetFilterSerializer, request.query_params)
        rows = fleet_devices(FleetFilters.of(filters))
        page = self.paginate_queryset(rows.order_by("project", "name", "device_uuid"))
        return self.get_paginated_response(FleetDeviceSerializer(page, many=True).data)


class FleetRefreshView(ApiView):
    required_perms = {"POST": (VIEW_ROLLOUT, OPERATE_ROLLOUT)}
    serializer_class = None

    @extend_schema(
        operation_id="fleet_refresh",
        summary="Read the fleet again now",
        description="Every project's devices are read again in the background, within the API "
        "budget; the answer says when each project was last read whole.",
        request=None,
        responses=responses(
            {202: inline_serializer("FleetRefresh", {"projects": serializers.ListField()})}
        ),
    )
    def post(self, request):
        from rollouts.tasks import fleet_refresh

        now = timezone.now()
        with transaction.atomic():
            for project in fleet_projects():
                FleetRead.objects.update_or_create(
                    project=project, defaults={"refresh_requested_at": now}
                )
            transaction.on_commit(lambda: fleet_refresh.delay())
        projects = [
            {
                "project": r["project"],
                "read_at": r["completed_at"],
                "reading": bool(r["cursor"]),
                "devices": r["devices"],
                "error": r["error"],
            }
            for r in fleet_freshness()["projects"]
        ]
        return Response({"projects": projects}, status=status.HTTP_202_ACCEPTED)
