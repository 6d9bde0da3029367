"""/api/v1/kill-switch: anyone who reads rollouts sees whether it is on; only admins pull it
(a reason required) and release it."""

import pytest
from django.urls import reverse

from rollouts.models import KillSwitchUse, Rollout
from rollouts.services.actions import rollout_create, rollout_pause, rollout_start

pytestmark = pytest.mark.django_db

FORBIDDEN = {"detail": "Only an admin can do this.", "code": "permission_denied"}


def statuses(*rollouts) -> list[tuple[str, str]]:
    return [
        tuple(Rollout.objects.values_list("status", "pause_cause").get(pk=r.pk)) for r in rollouts
    ]


def test_anyone_who_reads_rollouts_sees_the_state(api_as, viewer, outsider, anonymous):
    response = api_as(viewer).get(reverse("api-kill-switch"))

    assert response.status_code == 200
    assert response.json() == {"on": False, "use": None}
    assert api_as(outsider).get(reverse("api-kill-switch")).status_code == 403
    assert anonymous.get(reverse("api-kill-switch")).status_code == 401


@pytest.mark.parametrize("name", ["api-kill-switch", "api-kill-switch-release"])
def test_viewers_and_managers_get_403(api_as, viewer, manager, running, name):
    for user in (viewer, manager):
        response = api_as(user).post(reverse(name), {"reason": "mine"}, format="json")
        assert response.status_code == 403
        assert response.json() == FORBIDDEN

    assert statuses(running) == [("running", "")]
    assert not KillSwitchUse.objects.exists()


def test_an_admin_pauses_every_rollout_then_resumes_those(api_as, admin, manager, running, plan):
    other = rollout_start(
        rollout=rollout_create(
            plan=plan, flow_id="f", app_name="a", app_version="v3", actor=manager
        ),
        actor=manager,
    )
    rollout_pause(rollout=other, actor=manager, reason="a person's pause")
    client = api_as(admin)

    response = client.post(reverse("api-kill-switch"), {"reason": "bad build"}, format="json")

    body = response.json()
    assert response.status_code == 200, body
    assert body["on"] is True
    assert {k: body["use"][k] for k in ("actor", "reason", "paused", "engaged")} == {
        "actor": "ada",
        "reason": "bad build",
        "paused": [running.pk],
        "engaged": True,
    }
    assert statuses(running, other) == [("paused", "kill_switch"), ("paused", "person")]
    detail = client.get(reverse("api-rollout", args=[running.pk])).json()
    assert detail["waiting"]["cause"] == "kill_switch"
    assert detail["status_reason"] == "Paused by the kill switch: bad build"

    response = client.post(reverse("api-kill-switch-release"), {"reason": "fixed"}, format="json")

    body = response.json()
    assert response.status_code == 200, body
    assert body["on"] is False
    assert (body["use"]["resumed_by"], body["use"]["resumed"]) == ("ada", [running.pk])
    assert statuses(running, other) == [("running", ""), ("paused", "person")]
    assert client.get(reverse("api-kill-switch")).json()["use"]["resume_reason"] == "fixed"


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 1001}])
def test_a_reason_is_required(api_as, admin, running, body):
    response = api_as(admin).post(reverse("api-kill-switch"), body, format="json")

    assert response.status_code == 400
    assert response.json()["field"] == "reason"
    assert statuses(running) == [("running", "")]


def test_twice_on_or_releasing_when_off_is_a_409(api_as, admin, running):
    client = api_as(admin)

    released = client.post(reverse("api-kill-switch-release"), {}, format="json")
    client.post(reverse("api-kill-switch"), {"reason": "one"}, format="json")
    twice = client.post(reverse("api-kill-switch"), {"reason": "two"}, format="json")

    assert (released.status_code, released.json()["detail"]) == (409, "The kill switch is not on.")
    assert twice.status_code == 409
    assert twice.json()["detail"].startswith("The kill switch is already on: ada used it")
    assert KillSwitchUse.objects.count() == 1


def test_the_schema_documents_the_admin_answers(api_as, viewer):
    paths = api_as(viewer).get(reverse("api-schema")).json()["paths"]

    engage = paths["/api/v1/kill-switch"]["post"]
    assert {"200", "400", "401", "403", "409"} <= set(engage["responses"])
    assert {"200", "401", "403"} <= set(paths["/api/v1/kill-switch"]["get"]["responses"])
    assert "409" in paths["/api/v1/kill-switch/release"]["post"]["responses"]
    assert set(paths["/api/v1/freeze-windows/{id}"]) == {"get", "put", "patch", "delete"}
    assert "204" in paths["/api/v1/freeze-windows/{id}"]["delete"]["responses"]
    override = paths["/api/v1/rollouts/{id}/freeze-override"]["post"]
    assert {"200", "400", "403", "404", "409"} <= set(override["responses"])
