"""The one set of factories: rows as the services leave them, for tests that need a state
without running the engine. Defaults: a running rollout started by its creator."""

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from rollouts.models import Plan, PlanStage


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("a-long-password-1")


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan

    name = factory.Sequence(lambda n: f"Plan {n}")
    project = "Demo"


class PlanStageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlanStage

    plan = factory.SubFactory(PlanFactory)
    position = factory.Sequence(lambda n: n + 1)
    target = "all"


# --- Rollouts and what they record (the console's pages read these) -------------------------
class RolloutFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "rollouts.Rollout"

    plan = factory.SubFactory(PlanFactory)
    project = factory.LazyAttribute(lambda o: o.plan.project)
    flow_id = "73a7-1ft8"
    app_name = "default_app"
    app_version = factory.Sequence(lambda n: f"v1.{n}")
    comment = "release"
    status = "running"
    created_by = factory.SubFactory(UserFactory)
    started_by = factory.SelfAttribute("created_by")
    started_at = factory.LazyFunction(timezone.now)


class RolloutStageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "rollouts.RolloutStage"

    rollout = factory.SubFactory(RolloutFactory)
    position = factory.Sequence(lambda n: n + 1)
    target = "all"
    status = "pending"


class DeviceProgressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "rollouts.DeviceProgress"

    stage = factory.SubFactory(RolloutStageFactory)
    device_uuid = factory.Sequence(lambda n: f"d-{n:04x}-test")
    device_name = factory.Sequence(lambda n: f"device {n}")
    group = "Production"
    status = "success"


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "rollouts.Event"

    rollout = factory.SubFactory(RolloutFactory)
    kind = "started"


class ApiCallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "rollouts.ApiCall"

    rollout = factory.SubFactory(RolloutFactory)
    kind = "deploy"
    state = "succeeded"
    request = factory.LazyFunction(
        lambda: {"method": "POST", "path": "/deploy_update", "body": {"user_token": "***"}}
    )
    http_status = 200
    duration_ms = 120.0


class WorkerHeartbeatFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "rollouts.WorkerHeartbeat"

    hostname = factory.Sequence(lambda n: f"celery@worker-{n}")
    last_seen = factory.LazyFunction(timezone.now)
