"""Rows for API tests that the services would take a live engine to produce."""

import factory

from rollouts.models import (
    ApiCall,
    CallKind,
    CallState,
    Event,
    EventKind,
    Rollout,
    RolloutStage,
    RolloutStatus,
)
from tests.factories import PlanFactory


class RolloutFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rollout

    plan = factory.SubFactory(PlanFactory)
    project = factory.SelfAttribute("plan.project")
    flow_id = "73a7-1ft8"
    app_name = "default_app"
    app_version = factory.Sequence(lambda n: f"v1.{n}")
    status = RolloutStatus.DRAFT


class RolloutStageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RolloutStage

    rollout = factory.SubFactory(RolloutFactory)
    position = factory.Sequence(lambda n: n + 1)
    target = "all"


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    rollout = factory.SubFactory(RolloutFactory)
    kind = EventKind.CREATED


class ApiCallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApiCall

    rollout = factory.SubFactory(RolloutFactory)
    kind = CallKind.DEPLOY
    state = CallState.SUCCEEDED
    http_status = 200
    request = factory.LazyFunction(
        lambda: {
            "method": "POST",
            "path": "/deploy_update",
            "body": {"user_token": "***", "flow_id": "73a7-1ft8"},
        }
    )
