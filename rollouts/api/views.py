"""API views: each parses its input, calls one service or selector, and answers JSON.

Order of checks on every request: token (401), role (403), the object (404), the input (400),
then the service, whose state checks answer 409. The actions on a rollout are in actions.py.
"""

from contextlib import contextmanager

from django.db import IntegrityError
from django.http import JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from rollouts.api import selectors
from rollouts.api.base import found, responses, valid
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
from rollouts.api.serializers import (
    ApiCallSerializer,
    EventFilterSerializer,
    EventSerializer,
    PlanFilterSerializer,
    PlanSerializer,
    RolloutCreateSerializer,
    RolloutDetailSerializer,
    RolloutFilterSerializer,
    RolloutSerializer,
)
from rollouts.models import Plan, Rollout
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


class PlanListView(GenericAPIView):
    required_perms = {"GET": (VIEW_PLAN,), "POST": (VIEW_PLAN, ADD_PLAN)}
    serializer_class = PlanSerializer

    @extend_schema(
        operation_id="plans_list",
        summary="List plans",
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
        responses=responses({201: PlanSerializer}, 400, 409),
    )
    def post(self, request):
        data = valid(PlanSerializer, request.data)
        with service_errors(), plan_constraints():
            plan = plan_create(**data, actor=request.user)
        plan = selectors.plan_list().get(pk=plan.pk)
        location = reverse("api-plan", args=[plan.pk])
        return Response(
            PlanSerializer(plan).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": location},
        )


class PlanDetailView(GenericAPIView):
    required_perms = {
        "GET": (VIEW_PLAN,),
        "PUT": (VIEW_PLAN, CHANGE_PLAN),
        "PATCH": (VIEW_PLAN, CHANGE_PLAN),
    }
    serializer_class = PlanSerializer

    @extend_schema(
        operation_id="plans_retrieve",
        summary="Get a plan",
        responses=responses({200: PlanSerializer}, 404),
    )
    def get(self, request, pk: int):
        found(Plan, pk)
        return Response(PlanSerializer(selectors.plan_list().get(pk=pk)).data)

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
        data = valid(PlanSerializer, request.data, instance=plan, partial=partial)
        stages = data.pop("stages", None)
        with service_errors(), plan_constraints():
            plan_update(plan=plan, stages=stages, **data)
        return Response(PlanSerializer(selectors.plan_list().get(pk=pk)).data)


# --- Rollouts


class RolloutListView(GenericAPIView):
    required_perms = {"GET": (VIEW_ROLLOUT,), "POST": (VIEW_ROLLOUT, ADD_ROLLOUT)}
    serializer_class = RolloutSerializer

    @extend_schema(
        operation_id="rollouts_list",
        summary="List rollouts",
        description="Newest first, without their stages (get one rollout for those).",
        parameters=[RolloutFilterSerializer],
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
        detail = selectors.rollout_detail(pk=rollout.pk)
        return Response(
            RolloutDetailSerializer(detail, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": location},
        )


class RolloutDetailView(GenericAPIView):
    required_perms = {"GET": (VIEW_ROLLOUT,)}
    serializer_class = RolloutDetailSerializer

    @extend_schema(
        operation_id="rollouts_retrieve",
        summary="Get a rollout",
        description="With its stages, their device counts and errors.",
        responses=responses({200: RolloutDetailSerializer}, 404),
    )
    def get(self, request, pk: int):
        found(Rollout, pk)
        rollout = selectors.rollout_detail(pk=pk)
        context = self.get_serializer_context()
        return Response(RolloutDetailSerializer(rollout, context=context).data)


# --- History


class RolloutEventsView(GenericAPIView):
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


class RolloutCallsView(GenericAPIView):
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
