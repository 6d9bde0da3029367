"""The UI's roles hold for the API: viewers read, release managers and admins act,
outsiders (no role) get 403 everywhere, and no token is a 401 everywhere."""

import pytest
from django.urls import reverse

from rollouts.models import Event, Plan, Rollout, RolloutStatus

pytestmark = pytest.mark.django_db

READS = [
    ("api-plans", False),
    ("api-plan", "plan"),
    ("api-rollouts", False),
    ("api-rollout", "rollout"),
    ("api-rollout-events", "rollout"),
    ("api-rollout-calls", "rollout"),
]
NEW_PLAN = {"name": "New", "project": "Demo", "stages": [{"target": "all"}]}
NEW_ROLLOUT = {"flow_id": "f-1", "app_name": "app", "app_version": "v9"}
WRITES = [
    ("post", "api-plans", False, NEW_PLAN),
    ("put", "api-plan", "plan", NEW_PLAN),
    ("patch", "api-plan", "plan", {"description": "changed"}),
    ("post", "api-rollouts", False, NEW_ROLLOUT),
    ("post", "api-rollout-start", "rollout", {}),
    ("post", "api-rollout-approve", "rollout", {}),
    ("post", "api-rollout-pause", "rollout", {}),
    ("post", "api-rollout-resume", "rollout", {}),
    ("post", "api-rollout-abort", "rollout", {"reason": "no"}),
    ("post", "api-rollout-retry", "rollout", {}),
]


def url(name, kind, *, plan, draft):
    if kind == "plan":
        return reverse(name, args=[plan.pk])
    if kind == "rollout":
        return reverse(name, args=[draft.pk])
    return reverse(name)


def body(data, plan):
    return {**data, "plan": plan.pk} if "flow_id" in data else data


def snapshot():
    return (
        list(Plan.objects.values_list("name", "description", "updated_at")),
        list(Rollout.objects.values_list("status", flat=True)),
        Event.objects.count(),
    )


@pytest.mark.parametrize(("name", "kind"), READS)
def test_viewer_reads_everything(viewer, api_as, plan, draft, name, kind):
    response = api_as(viewer).get(url(name, kind, plan=plan, draft=draft))

    assert response.status_code == 200, response.json()


@pytest.mark.parametrize(("method", "name", "kind", "data"), WRITES)
def test_viewer_cannot_change_anything(viewer, api_as, plan, draft, method, name, kind, data):
    before = snapshot()

    response = getattr(api_as(viewer), method)(
        url(name, kind, plan=plan, draft=draft), body(data, plan), format="json"
    )

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Your role does not allow this.",
        "code": "permission_denied",
    }
    assert snapshot() == before


@pytest.mark.parametrize(("name", "kind"), READS)
def test_outsider_reads_nothing(outsider, api_as, plan, draft, name, kind):
    response = api_as(outsider).get(url(name, kind, plan=plan, draft=draft))

    assert response.status_code == 403
    assert "results" not in response.json() and "name" not in response.json()


@pytest.mark.parametrize(("method", "name", "kind", "data"), WRITES)
def test_outsider_cannot_change_anything(outsider, api_as, plan, draft, method, name, kind, data):
    before = snapshot()

    response = getattr(api_as(outsider), method)(
        url(name, kind, plan=plan, draft=draft), body(data, plan), format="json"
    )

    assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize(
    ("method", "name", "kind", "data"), [("get", n, k, {}) for n, k in READS] + WRITES
)
def test_no_token_is_a_401_everywhere(anonymous, plan, draft, method, name, kind, data):
    before = snapshot()

    response = getattr(anonymous, method)(
        url(name, kind, plan=plan, draft=draft), body(data, plan), format="json"
    )

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert snapshot() == before


def test_admin_can_do_what_a_manager_can(admin, api_as, plan, draft):
    client = api_as(admin)

    started = client.post(reverse("api-rollout-start", args=[draft.pk]), {}, format="json")
    created = client.post(reverse("api-plans"), NEW_PLAN, format="json")

    assert started.status_code == 200 and started.json()["status"] == RolloutStatus.RUNNING
    assert created.status_code == 201 and created.json()["created_by"] == "ada"


def test_a_viewer_can_read_but_an_unknown_method_is_a_405(viewer, api_as, plan):
    response = api_as(viewer).delete(reverse("api-plan", args=[plan.pk]))

    assert response.status_code == 403  # DELETE needs every permission the view names
    assert Plan.objects.filter(pk=plan.pk).exists()


def test_a_manager_gets_405_for_a_method_the_api_does_not_have(manager, api_as, plan):
    response = api_as(manager).delete(reverse("api-plan", args=[plan.pk]))

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert Plan.objects.filter(pk=plan.pk).exists()
