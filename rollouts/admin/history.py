"""The record of what happened, read-only in the admin: rollouts, their stages, per-device
progress, events and API calls. The engine and people's actions write these through services
(rollouts/services/, rollouts/engine/) with an event for each change; an edit or a delete here
would rewrite history without one, so the admin only lets people look (no add, change or
delete, for superusers too)."""

from django.contrib import admin

from rollouts.admin.base import ReadOnlyAdmin, ReadOnlyInline
from rollouts.models import (
    ApiCall,
    DeviceProgress,
    Event,
    Rollout,
    RolloutStage,
    WorkerHeartbeat,
)


class RolloutStageInline(ReadOnlyInline):
    model = RolloutStage
    fields = (
        "position",
        "name",
        "target",
        "status",
        "devices_total",
        "count_success",
        "count_failed",
        "approved_by",
        "approved_at",
        "finished_at",
    )
    readonly_fields = fields
    ordering = ("position",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("approved_by")


@admin.register(Rollout)
class RolloutAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "app_name",
        "app_version",
        "project",
        "plan",
        "status",
        "pause_cause",
        "started_by",
        "started_at",
        "finished_at",
    )
    list_display_links = ("id", "app_name")
    list_filter = ("status", "pause_cause", "project")
    list_select_related = ("plan", "started_by")
    search_fields = ("app_name", "app_version", "flow_id", "project", "comment")
    date_hierarchy = "created_at"
    inlines = [RolloutStageInline]


@admin.register(RolloutStage)
class RolloutStageAdmin(ReadOnlyAdmin):
    list_display = (
        "__str__",
        "rollout",
        "position",
        "name",
        "target",
        "status",
        "devices_total",
        "count_success",
        "count_failed",
        "approved_by",
        "last_polled_at",
    )
    list_filter = ("status", "target")
    list_select_related = ("rollout", "approved_by")
    search_fields = ("rollout__app_name", "rollout__app_version", "name", "tag")
    raw_id_fields = ("rollout",)


@admin.register(DeviceProgress)
class DeviceProgressAdmin(ReadOnlyAdmin):
    list_display = (
        "device_uuid",
        "device_name",
        "group",
        "stage",
        "status",
        "online",
        "updated_at",
    )
    list_filter = ("status", "online")
    list_select_related = ("stage",)
    search_fields = ("device_uuid", "device_name", "group")
    # One stage may hold thousands of rows: no "select all" count over the whole table.
    show_full_result_count = False


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "rollout_id", "stage", "kind", "actor", "to_status", "reason")
    list_filter = ("kind",)
    list_select_related = ("stage", "actor")
    search_fields = ("reason", "rollout__app_name", "rollout__app_version")
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(ApiCall)
class ApiCallAdmin(ReadOnlyAdmin):
    """`request` is stored with the Upswift token redacted (see upswift/requests.py)."""

    list_display = (
        "id",
        "created_at",
        "rollout_id",
        "stage",
        "kind",
        "attempt",
        "state",
        "http_status",
        "duration_ms",
    )
    list_filter = ("kind", "state", "http_status")
    list_select_related = ("stage",)
    search_fields = ("error_message",)
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdmin):
    list_display = ("hostname", "last_seen")
