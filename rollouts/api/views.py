"""API views: each parses its input, calls one service or selector, and answers JSON.

Order of checks on every request: rate limits (429), token (401), role (403), the object (404),
a stale `If-Match` (412), the input (400), then the service, whose state checks answer 409.
The actions on a rollout are in actions.py; ETags and conditional requests in conditional.py.
"""

from contextlib import contextmanager

from django.db import IntegrityError
from django.http import JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from rollouts.api import conditional, selectors
from rollouts.api.actions import rollout_data
from rollouts.api.base import ApiView, found, responses, valid
from rollouts.api.errors import Conflict, service_errors
from rollouts.api.permissions import (
    ADD_PLAN,
    ADD_ROLLOUT,
    CHANGE_PLAN,
    OPERATE_ROLLOUT,
    VIEW_APICALL,
    VIEW_EVENT,
    VIEW_PLAN,
    VIEW_ROLLOUT,
)
from rollouts.api.record_serializers import (
    ApiCallSerializer,
    EventFilterSerializer,
    EventSerializer,
)
from rollouts.api.serializers import (
    PlanFilterSerializer,
    PlanSerializer,
    RolloutCreateSerializer,
    RolloutDetailSerializer,
    RolloutFilterSerializer,
    RolloutSerializer,
)
from rollouts.models import Plan, Rollout, RolloutStatus
from rollouts.services.actions import rollout_launch
from rollouts.services.plans import plan_create, plan_update


@contextmanager
def plan_constraints():
    """Two requests writing the same plan at once: the database's constraints decide."""
    try:
        yield
    except IntegrityError as exc:
        if "plan_stage_position_unique" in str(exc):
            raise Conflict("Someone changed this plan's stages at the same moment.") from exc
        raise ValidationError({"name": ["A plan with this name already exists."]}) from exc


# --- Plans


class PlanListView(ApiView):
    required_perms = {"GET": (VIEW_PLAN,), "POST": (VIEW_PLAN, ADD_PLAN)}
    serializer_class = PlanSerializer

    @extend_schema(
        operation_id="plans_list",
        summary="List plans",
        description="By name; each with its stages.",
        parameters=[PlanFilterSerializer],
        responses=responses({200: PlanSerializer(many=True)}, 400),
    )
    def get(self, request):
        filters = valid(PlanFilterSerializer, request.query_params)
        page = self.paginate_queryset(selectors.plan_list(**filters))
        return self.get_paginated_response(PlanSerializer(page, many=True).data)

    @extend_schema(
        operation_id="plans_create",
        summary="Create a plan",
        description="With its stages, in order; 409 when another plan has the name.",
        responses=responses({201: PlanSerializer}, 400, 409),
    )
    def post(self, request):
        data = valid(PlanSerializer, request.data)
        with service_errors(), plan_constraints():
            plan = plan_create(**data, actor=request.user)
        location = reverse("api-plan", args=[plan.pk])
        return Response(
            _plan_data(plan.pk),
            status=status.HTTP_201_CREATED,
            headers={"Location": location},
        )


class PlanDetailView(ApiView):
    required_perms = {
        "GET": (VIEW_PLAN,),
        "PUT": (VIEW_PLAN, CHANGE_PLAN),
        "PATCH": (VIEW_PLAN, CHANGE_PLAN),
    }
    serializer_class = PlanSerializer
    etag_answers = ("GET", "PUT", "PATCH")
    if_none_match = ("GET",)
    if_match = ("PUT", "PATCH")

    @extend_schema(
        operation_id="plans_retrieve",
        summary="Get a plan",
        description="With its stages and an ETag: send it as If-Match to change the plan only "
        "if nobody else has.",
        responses=responses({200: PlanSerializer}, 404),
    )
    def get(self, request, pk: int):
        found(Plan, pk)
        return conditional.answer(request, _plan_data(pk))

    @extend_schema(
        operation_id="plans_update",
        summary="Replace a plan",
        description="Every field; `stages` replaces all stages. Running rollouts keep the "
        "stages they copied when they started.",
        responses=responses({200: PlanSerializer}, 400, 404, 409),
    )
    def put(self, request, pk: int):
        return self._update(request, pk, partial=False)

    @extend_schema(
        operation_id="plans_partial_update",
        summary="Change a plan",
        description="Only the fields given; `stages`, when given, replaces all stages.",
        responses=responses({200: PlanSerializer}, 400, 404, 409),
    )
    def patch(self, request, pk: int):
        return self._update(request, pk, partial=True)

    def _update(self, request, pk: int, *, partial: bool) -> Response:
        plan = found(Plan, pk)
        conditional.if_match(request, lambda: _plan_data(pk))
        data = valid(PlanSerializer, request.data, instance=plan, partial=partial)
        stages = data.pop("stages", None)
        with service_errors(), plan_constraints():
            plan_update(plan=plan, stages=stages, actor=request.user, **data)
        return conditional.answer(request, _plan_data(pk))


def _plan_data(pk: int) -> dict:
    return PlanSerializer(selectors.plan_list().get(pk=pk)).data


# --- Rollouts


class RolloutListView(ApiView):
    required_perms = {"GET": (VIEW_ROLLOUT,), "POST": (VIEW_ROLLOUT, ADD_ROLLOUT)}
    serializer_class = RolloutSerializer

    @extend_schema(
        operation_id="rollouts_list",
        summary="List rollouts",
        description="Newest first, without their stages (get one rollout for those).",
        parameters=[
            RolloutFilterSerializer,
            OpenApiParameter(
                "status",
                str,
                enum=RolloutStatus.values,
                description="Only rollouts in this status (empty or absent: every status).",
            ),
        ],
        responses=responses({200: RolloutSerializer(many=True)}, 400),
    )
    def get(self, request):
        filters = valid(RolloutFilterSerializer, request.query_params)
        page = self.paginate_queryset(selectors.rollout_list(**filters))
        context = self.get_serializer_context()
        return self.get_paginated_response(RolloutSerializer(page, many=True, context=context).data)

    @extend_schema(
        operation_id="rollouts_create",
        summary="Create a rollout",
        description='A draft, or with `"start": true` started at once (or scheduled for '
        "`scheduled_at`); starting also needs the permission to operate rollouts.",
        request=RolloutCreateSerializer,
        responses=responses({201: RolloutDetailSerializer}, 400),
    )
    def post(self, request):
        data = valid(RolloutCreateSerializer, request.data)
        start, at = data.pop("start"), data.pop("scheduled_at")
        if start and not request.user.has_perm(OPERATE_ROLLOUT):
            raise PermissionDenied("Starting a rollout needs the permission to operate rollouts.")
        with service_errors():
            rollout = rollout_launch(**data, actor=request.user, start=start, at=at)
        location = reverse("api-rollout", args=[rollout.pk])
        return Response(
            rollout_data(self, rollout.pk),
            status=status.HTTP_201_CREATED,
            headers={"Location": location},
        )


class RolloutDetailView(ApiView):
    required_perms = {"GET": (VIEW_ROLLOUT,)}
    serializer_class = RolloutDetailSerializer
    etag_answers = if_none_match = ("GET",)

    @extend_schema(
        operation_id="rollouts_retrieve",
        summary="Get a rollout",
        description="With its stages, their device counts and errors, and an ETag: poll with "
        "If-None-Match for a 304 while nothing changed, and act with If-Match to act only on "
        "the rollout as you saw it.",
        responses=responses({200: RolloutDetailSerializer}, 404),
    )
    def get(self, request, pk: int):
        found(Rollout, pk)
        return conditional.answer(request, rollout_data(self, pk))


# --- History


class RolloutEventsView(ApiView):
    required_perms = {"GET": (VIEW_ROLLOUT, VIEW_EVENT)}
    serializer_class = EventSerializer

    @extend_schema(
        operation_id="rollouts_events",
        summary="A rollout's events",
        description="Its history, oldest first: every transition and human action. Poll with "
        "`after` = the last id seen to get only new ones.",
        parameters=[EventFilterSerializer],
        responses=responses({200: EventSerializer(many=True)}, 400, 404),
    )
    def get(self, request, pk: int):
        rollout = found(Rollout, pk)
        filters = valid(EventFilterSerializer, request.query_params)
        page = self.paginate_queryset(selectors.rollout_events(rollout=rollout, **filters))
        return self.get_paginated_response(EventSerializer(page, many=True).data)


class RolloutCallsView(ApiView):
    required_perms = {"GET": (VIEW_ROLLOUT, VIEW_APICALL)}
    serializer_class = ApiCallSerializer

    @extend_schema(
        operation_id="rollouts_calls",
        summary="A rollout's Upswift API calls",
        description="Every deploy, sweep, retry and poll call, oldest first, with its outcome.",
        responses=responses({200: ApiCallSerializer(many=True)}, 400, 404),
    )
    def get(self, request, pk: int):
        rollout = found(Rollout, pk)
        page = self.paginate_queryset(selectors.rollout_calls(rollout=rollout))
        return self.get_paginated_response(ApiCallSerializer(page, many=True).data)


@csrf_exempt
def not_found(request, path: str = ""):
    """Any other path under /api/v1/: a JSON 404, not the site's HTML page."""
    return JsonResponse(
        {"detail": f"No API endpoint at {request.path}; see /api/v1/docs.", "code": "not_found"},
        status=404,
    )
