"""/kill-switch, /freeze-windows and /rollouts/{id}/freeze-override: reading them needs the
permission to view rollouts; changing them is for admins (superusers), 403 otherwise."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from rollouts.api.action_serializers import ReasonSerializer
from rollouts.api.actions import RolloutActionView, action_schema
from rollouts.api.base import ApiView, found, responses, valid
from rollouts.api.errors import service_errors
from rollouts.api.hold_serializers import (
    FreezeOverrideSerializer,
    FreezeWindowFilterSerializer,
    FreezeWindowInputSerializer,
    FreezeWindowSerializer,
    KillSwitchEngageSerializer,
    KillSwitchStateSerializer,
)
from rollouts.api.permissions import VIEW_ROLLOUT, ActionPermissions
from rollouts.models import FreezeWindow, KillSwitchUse
from rollouts.services import freeze_windows, kill_switch


class AdminWrites(ActionPermissions):
    """GET as the view's `required_perms` say; every other method for admins only."""

    def has_permission(self, request, view) -> bool:
        if request.method in ("GET", "HEAD"):
            return super().has_permission(request, view)
        self.message = "Only an admin can do this."
        user = request.user
        return bool(user and user.is_authenticated and user.is_superuser)


class AdminWritesMixin:
    permission_classes = [AdminWrites]
    required_perms = {"GET": (VIEW_ROLLOUT,)}


def _switch_state() -> dict:
    use = KillSwitchUse.objects.select_related("actor", "resumed_by").first()
    return KillSwitchStateSerializer({"on": bool(use and use.engaged), "use": use}).data


class KillSwitchView(AdminWritesMixin, ApiView):
    serializer_class = KillSwitchStateSerializer

    @extend_schema(
        operation_id="kill_switch_retrieve",
        summary="Is the kill switch on?",
        description="`on`, and the use that is on (else the last one): who, why, when, the "
        "rollouts it paused, and who released it.",
        responses=responses({200: KillSwitchStateSerializer}),
    )
    def get(self, request):
        return Response(_switch_state())

    @extend_schema(
        operation_id="kill_switch_engage",
        summary="Pause every rollout (admins)",
        description="Pause every running rollout (cause `kill_switch`, one `paused` event "
        "each); while it is on no stage and no scheduled rollout starts. `reason` is "
        "required. 409 when it is already on.",
        request=KillSwitchEngageSerializer,
        responses=responses({200: KillSwitchStateSerializer}, 400, 409),
    )
    def post(self, request):
        data = valid(KillSwitchEngageSerializer, request.data)
        with service_errors():
            kill_switch.rollouts_pause_all(actor=request.user, reason=data["reason"])
        return Response(_switch_state())


class KillSwitchReleaseView(AdminWritesMixin, ApiView):
    serializer_class = KillSwitchStateSerializer

    @extend_schema(
        operation_id="kill_switch_release",
        summary="Resume the rollouts the kill switch paused (admins)",
        description="Release the switch and resume every rollout paused with cause "
        "`kill_switch`; rollouts paused for other reasons stay paused. 409 when it is not on.",
        request=ReasonSerializer,
        responses=responses({200: KillSwitchStateSerializer}, 400, 409),
    )
    def post(self, request):
        data = valid(ReasonSerializer, request.data)
        with service_errors():
            kill_switch.rollouts_resume_paused_by_switch(actor=request.user, reason=data["reason"])
        return Response(_switch_state())


class FreezeWindowListView(AdminWritesMixin, ApiView):
    serializer_class = FreezeWindowSerializer

    @extend_schema(
        operation_id="freeze_windows_list",
        summary="List freeze windows",
        description="Newest first; with `project`, those of that project and of every project.",
        parameters=[FreezeWindowFilterSerializer],
        responses=responses({200: FreezeWindowSerializer(many=True)}, 400),
    )
    def get(self, request):
        filters = valid(FreezeWindowFilterSerializer, request.query_params)
        windows = FreezeWindow.objects.select_related("created_by").order_by("-created_at", "-id")
        if filters.get("project"):
            windows = windows.filter(project__in=("", filters["project"]))
        page = self.paginate_queryset(windows)
        return self.get_paginated_response(FreezeWindowSerializer(page, many=True).data)

    @extend_schema(
        operation_id="freeze_windows_create",
        summary="Create a freeze window (admins)",
        description="One-off (`starts_at`, `ends_at`) or weekly (weekdays, from a time to a "
        "time, in `timezone`); while it is on, no stage and no scheduled rollout of its project "
        "starts.",
        request=FreezeWindowInputSerializer,
        responses=responses({201: FreezeWindowSerializer}, 400),
    )
    def post(self, request):
        data = valid(FreezeWindowInputSerializer, request.data)
        with service_errors():
            window = freeze_windows.freeze_window_create(actor=request.user, **data)
        return Response(
            FreezeWindowSerializer(window).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": reverse("api-freeze-window", args=[window.pk])},
        )


class FreezeWindowDetailView(AdminWritesMixin, ApiView):
    serializer_class = FreezeWindowSerializer

    @extend_schema(
        operation_id="freeze_windows_retrieve",
        summary="Get a freeze window",
        description="With `active_until`: when it ends, if it is on now.",
        responses=responses({200: FreezeWindowSerializer}, 404),
    )
    def get(self, request, pk: int):
        return Response(FreezeWindowSerializer(found(FreezeWindow, pk)).data)

    @extend_schema(
        operation_id="freeze_windows_update",
        summary="Replace a freeze window (admins)",
        description="Every field; the same rules as when it was created.",
        request=FreezeWindowInputSerializer,
        responses=responses({200: FreezeWindowSerializer}, 400, 404),
    )
    def put(self, request, pk: int):
        return self._update(request, pk, partial=False)

    @extend_schema(
        operation_id="freeze_windows_partial_update",
        summary="Change a freeze window (admins)",
        description="Only the fields given; the same rules apply to the result.",
        request=FreezeWindowInputSerializer(partial=True),
        responses=responses({200: FreezeWindowSerializer}, 400, 404),
    )
    def patch(self, request, pk: int):
        return self._update(request, pk, partial=True)

    def _update(self, request, pk: int, *, partial: bool) -> Response:
        window = found(FreezeWindow, pk)
        data = valid(FreezeWindowInputSerializer, request.data, partial=partial)
        with service_errors():
            window = freeze_windows.freeze_window_update(window=window, actor=request.user, **data)
        return Response(FreezeWindowSerializer(window).data)

    @extend_schema(
        operation_id="freeze_windows_destroy",
        summary="Delete a freeze window (admins)",
        description="The rollouts it held start their stages on the next tick.",
        responses=responses({204: None}, 404),
    )
    def delete(self, request, pk: int):
        window = found(FreezeWindow, pk)
        with service_errors():
            freeze_windows.freeze_window_delete(window=window, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@action_schema(
    "freeze_override",
    "Let a rollout through the freeze (admins)",
    "The rollout starts its stages during the freeze window on now, until it ends (a later "
    "freeze holds it again); `reason` is required and kept in a `freeze_overridden` event. "
    "409 when no freeze holds the rollout, or it is over.",
    FreezeOverrideSerializer,
)
class RolloutFreezeOverrideView(RolloutActionView):
    permission_classes = [AdminWrites]
    required_perms = {"POST": (VIEW_ROLLOUT,)}
    input_serializer = FreezeOverrideSerializer

    def act(self, *, rollout, actor, reason) -> None:
        freeze_windows.rollout_freeze_override(rollout=rollout, actor=actor, reason=reason)
