"""/api/v1/plans: list, get, create, update (stages nested as a list)."""

import pytest
from django.db import transaction
from django.urls import reverse
from rest_framework.exceptions import ValidationError

from rollouts.api.errors import Conflict
from rollouts.api.views import plan_constraints
from rollouts.models import Plan, PlanStage

pytestmark = pytest.mark.django_db

PLANS = reverse("api-plans")
CANARY_THEN_ALL = [
    {"name": "canary", "target": "tag", "tag": "canary", "success_threshold": 100},
    {"target": "all", "approval_required": False, "soak_minutes": 30},
]


def plan_url(plan) -> str:
    return reverse("api-plan", args=[plan.pk])


def test_create_a_plan_with_its_stages(manager, api_as):
    response = api_as(manager).post(
        PLANS,
        {"name": " Firmware ", "project": "Demo", "stages": CANARY_THEN_ALL},
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    plan = Plan.objects.get(pk=body["id"])
    assert response["Location"] == plan_url(plan)
    assert (plan.name, plan.project, plan.created_by) == ("Firmware", "Demo", manager)
    assert [s["position"] for s in body["stages"]] == [1, 2]
    assert body["stages"][0] | {"position": 1} == {
        "position": 1,
        "name": "canary",
        "target": "tag",
        "tag": "canary",
        "groups": [],
        "app_filter": "",
        "device_filter": "",
        "approval_required": True,
        "success_threshold": 100,
        "failure_threshold": 10,
        "soak_minutes": 0,
        "online_only": False,
        "deadline_minutes": 60,
    }
    stored = list(plan.stages.order_by("position").values_list("target", "soak_minutes"))
    assert stored == [("tag", 0), ("all", 30)]
    assert body["stages"][1]["approval_required"] is False


def test_list_plans_with_their_stages(viewer, api_as, plan):
    response = api_as(viewer).get(PLANS)

    body = response.json()
    assert body["count"] == 1 and body["next"] is None
    assert body["results"][0]["name"] == "Release plan"
    assert [s["target"] for s in body["results"][0]["stages"]] == ["tag", "groups", "all"]


def test_list_filters_by_exact_name(viewer, api_as, plan, manager):
    Plan.objects.create(name="Other", project="Demo")

    response = api_as(viewer).get(PLANS, {"name": "Other"})

    assert [p["name"] for p in response.json()["results"]] == ["Other"]


def test_list_is_paginated(viewer, api_as):
    Plan.objects.bulk_create(Plan(name=f"P{n:02}", project="Demo") for n in range(5))
    client = api_as(viewer)

    first = client.get(PLANS, {"page_size": 2}).json()
    last = client.get(PLANS, {"page_size": 2, "page": 3}).json()
    beyond = client.get(PLANS, {"page_size": 2, "page": 4})

    assert first["count"] == 5 and [p["name"] for p in first["results"]] == ["P00", "P01"]
    assert "page=2" in first["next"]
    assert [p["name"] for p in last["results"]] == ["P04"] and last["next"] is None
    assert beyond.status_code == 400 and beyond.json()["field"] == "page"


def test_get_a_plan(viewer, api_as, plan):
    response = api_as(viewer).get(plan_url(plan))

    assert response.json()["id"] == plan.pk
    assert response.json()["stages"][1]["groups"] == ["TestGroup1"]
    assert response.json()["created_by"] == "rita"


def test_get_a_missing_plan_is_a_404(viewer, api_as):
    response = api_as(viewer).get(reverse("api-plan", args=[999999]))

    assert response.status_code == 404
    assert response.json() == {"detail": "Plan 999999 not found.", "code": "not_found"}


def test_patch_changes_only_the_fields_given(manager, api_as, plan):
    response = api_as(manager).patch(plan_url(plan), {"description": "weekly"}, format="json")

    assert response.status_code == 200, response.json()
    plan.refresh_from_db()
    assert plan.description == "weekly" and plan.require_different_approver is False
    assert plan.stages.count() == 3


def test_patch_with_stages_replaces_them_all(manager, api_as, plan):
    response = api_as(manager).patch(plan_url(plan), {"stages": CANARY_THEN_ALL}, format="json")

    assert response.status_code == 200, response.json()
    assert [s["target"] for s in response.json()["stages"]] == ["tag", "all"]
    assert list(PlanStage.objects.filter(plan=plan).values_list("position", "target")) == [
        (1, "tag"),
        (2, "all"),
    ]


def test_put_replaces_the_plan(manager, api_as, plan):
    response = api_as(manager).put(
        plan_url(plan),
        {"name": "Renamed", "project": "Other", "stages": [{"target": "all"}]},
        format="json",
    )

    assert response.status_code == 200, response.json()
    plan.refresh_from_db()
    assert (plan.name, plan.project, plan.stages.count()) == ("Renamed", "Other", 1)


def test_put_needs_every_field(manager, api_as, plan):
    response = api_as(manager).put(plan_url(plan), {"name": "Renamed"}, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"project", "stages"}
    assert Plan.objects.get(pk=plan.pk).name == "Release plan"


@pytest.mark.parametrize(
    ("stages", "field", "words"),
    [
        ([{"target": "all"}, {"target": "tag"}], "stages.2.tag", "needs a tag"),
        ([{"target": "all"}, {"target": "tag", "tag": "c"}], "stages.1.target", "last stage"),
        ([{"target": "groups"}], "stages.1.groups", "at least one group"),
        ([], "stages", "at least one stage"),
        ([{"target": "everyone"}], "stages.1.target", "not a valid choice"),
        ([{"target": "all", "success_threshold": 101}], "stages.1.success_threshold", "100"),
        ([{"target": "all", "soak_minutes": -1}], "stages.1.soak_minutes", "0"),
        ([{"target": "all", "deadline_minutes": 0}], "stages.1.deadline_minutes", "1"),
        ([{"target": "all", "deadline_minutes": 10081}], "stages.1.deadline_minutes", "10080"),
        ([{"target": "all", "deadline_minutes": "soon"}], "stages.1.deadline_minutes", "integer"),
        ([{"target": "groups", "groups": ["a", 7, ""]}], "stages.1.groups.3", "blank"),
        ([{"target": "groups", "groups": "a,b"}], "stages.1.groups", "list"),
        ("not a list", "stages", "list"),
    ],
)
def test_invalid_stages_are_a_400_naming_the_field(manager, api_as, stages, field, words):
    response = api_as(manager).post(
        PLANS, {"name": "Bad", "project": "Demo", "stages": stages}, format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["errors"], body
    assert words in " ".join(body["errors"][field])
    assert body["field"] in body["errors"] and body["detail"].startswith(body["field"])
    assert not Plan.objects.filter(name="Bad").exists()


def test_a_taken_name_is_a_400(manager, api_as, plan):
    response = api_as(manager).post(
        PLANS,
        {"name": "Release plan", "project": "Demo", "stages": [{"target": "all"}]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["field"] == "name"
    assert Plan.objects.count() == 1


def test_renaming_onto_a_taken_name_is_a_400(manager, api_as, plan):
    other = Plan.objects.create(name="Other", project="Demo")

    response = api_as(manager).patch(plan_url(other), {"name": "Release plan"}, format="json")

    assert response.status_code == 400 and response.json()["field"] == "name"
    assert Plan.objects.get(pk=other.pk).name == "Other"


def test_a_service_rule_on_update_is_a_400_and_changes_nothing(manager, api_as, plan):
    response = api_as(manager).patch(
        plan_url(plan),
        {
            "description": "x",
            "stages": [
                {"target": "groups", "groups": ["A"]},
                {"target": "groups", "groups": ["A"]},
            ],
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["field"] == "stages.2.groups"
    plan.refresh_from_db()
    assert plan.description == "" and plan.stages.count() == 3


def test_a_race_on_the_name_is_a_400_on_name(plan):
    """Two creates of one name at once: the loser hits the unique constraint."""
    with pytest.raises(ValidationError) as caught, plan_constraints(), transaction.atomic():
        Plan.objects.create(name="Release plan", project="Demo")

    assert set(caught.value.detail) == {"name"}


def test_a_race_on_the_stages_is_a_409(plan):
    """Two updates of one plan's stages at once: the loser hits the position constraint."""
    with pytest.raises(Conflict), plan_constraints(), transaction.atomic():
        PlanStage.objects.create(plan=plan, position=1, target="all")

    assert plan.stages.count() == 3
