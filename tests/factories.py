import factory
from django.contrib.auth import get_user_model

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
