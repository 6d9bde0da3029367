"""/api/v1/plans/{id}/preview (counts equal the simulator's truth; the names check),
/api/v1/fleet/devices and /api/v1/fleet/refresh."""

import pytest
from django.urls import reverse

from rollouts.models import FleetRead
from rollouts.services.plans import plan_create
from tests.api.conftest import client_for
from tests.support.fleet import inventory_read

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_preview_counts_each_stage_like_the_simulator(fleet_sim, viewer):
    inventory_read("Demo")
    plan = plan_create(
        name="p",
        project="Demo",
        stages=[
            {"target": "tag", "tag": "canary"},
            {"target": "groups", "groups": ["TestGroup1"]},
        ],
    )

    response = client_for(viewer).get(reverse("api-plan-preview", args=[plan.pk]))

    assert response.status_code == 200
    body = response.json()
    canary = fleet_sim.truth(project="Demo", tag="canary")
    group = fleet_sim.truth(project="Demo", groups=["TestGroup1"])
    both = fleet_sim.truth(project="Demo", groups=["TestGroup1"], tag="canary")
    assert [(s["devices"], s["online"], s["offline"]) for s in body["stages"]] == [
        (canary["devices"], canary["online"], canary["offline"]),
        (
            group["devices"] - both["devices"],
            group["online"] - both["online"],
            group["offline"] - both["offline"],
        ),
    ]
    assert body["total"] == canary["devices"] + group["devices"] - both["devices"]
    assert body["fleet_read_at"] and body["errors"] == {} and body["warnings"] == []


def test_the_preview_of_a_project_never_read_says_so(viewer):
    plan = plan_create(name="p", project="Nowhere", stages=[{"target": "all"}])

    body = client_for(viewer).get(reverse("api-plan-preview", args=[plan.pk])).json()

    assert body["fleet_read_at"] is None and body["total"] == 0
    assert "have not been read yet" in body["warnings"][0]


def test_fleet_devices_filter_and_page(fleet_sim, viewer):
    inventory_read("Demo")
    url = reverse("api-fleet-devices")
    api = client_for(viewer)

    body = api.get(url, {"project": "Demo", "group": "Lab", "page_size": 5}).json()
    truth = fleet_sim.truth(project="Demo", groups=["Lab"])
    assert body["count"] == truth["devices"]
    assert len(body["results"]) == 5 and {d["group"] for d in body["results"]} == {"Lab"}
    offline = api.get(url, {"project": "Demo", "online": "offline"}).json()
    assert offline["count"] == fleet_sim.truth(project="Demo")["offline"]
    example = api.get(url, {"q": "d-4ec7-1be9"}).json()["results"]
    assert [d["device_uuid"] for d in example] == ["d-4ec7-1be9"]


def test_refresh_needs_the_permission_to_operate(viewer, release_manager):
    plan_create(name="p", project="Demo", stages=[{"target": "all"}])
    url = reverse("api-fleet-refresh")

    assert client_for(viewer).post(url).status_code == 403
    response = client_for(release_manager).post(url)
    assert response.status_code == 202
    assert [p["project"] for p in response.json()["projects"]] == ["Demo"]
    assert FleetRead.objects.get(project="Demo").refresh_requested_at is not None


def test_a_bad_filter_is_a_400_naming_it(viewer):
    response = client_for(viewer).get(reverse("api-fleet-devices"), {"online": "maybe"})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["online"]
