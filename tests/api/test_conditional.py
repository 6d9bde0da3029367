"""ETags on a plan and a rollout: If-None-Match answers 304 while nothing changed, a stale
If-Match answers 412 and writes nothing, a current one lets the write through."""

import pytest
from django.urls import reverse

from rollouts.models import Event, EventKind, RolloutStatus
from rollouts.services.plans import plan_update

pytestmark = pytest.mark.django_db


def plan_url(plan) -> str:
    return reverse("api-plan", args=[plan.pk])


def rollout_url(rollout, action: str = "") -> str:
    url = reverse("api-rollout", args=[rollout.pk])
    return f"{url}/{action}" if action else url


def assert_precondition_failed(response) -> None:
    assert response.status_code == 412, response.content
    assert response.json()["code"] == "precondition_failed"
    assert "If-Match" in response.json()["detail"]


# --- plans


def test_a_plan_answers_an_etag_and_304_while_unchanged(viewer, api_as, plan):
    client = api_as(viewer)
    first = client.get(plan_url(plan))
    tag = first["ETag"]

    again = client.get(plan_url(plan), HTTP_IF_NONE_MATCH=tag)
    weak = client.get(plan_url(plan), HTTP_IF_NONE_MATCH=f'"other", W/{tag}')

    assert first.status_code == 200 and tag.startswith('"') and len(tag) == 34
    assert "Authorization" in first["Vary"]
    assert (again.status_code, again.content, again["ETag"]) == (304, b"", tag)
    assert weak.status_code == 304  # If-None-Match compares weakly


def test_a_changed_plan_answers_200_with_a_new_etag(manager, viewer, api_as, plan):
    client = api_as(viewer)
    old = client.get(plan_url(plan))["ETag"]
    plan_update(plan=plan, description="now with notes")

    response = client.get(plan_url(plan), HTTP_IF_NONE_MATCH=old)

    assert response.status_code == 200
    assert response.json()["description"] == "now with notes"
    assert response["ETag"] != old


def test_a_stale_if_match_on_a_plan_is_412_and_changes_nothing(manager, api_as, plan):
    client = api_as(manager)
    seen = client.get(plan_url(plan))["ETag"]
    plan_update(plan=plan, description="someone else's edit")

    patched = client.patch(
        plan_url(plan), {"description": "mine"}, format="json", HTTP_IF_MATCH=seen
    )
    replaced = client.put(
        plan_url(plan),
        {"name": "Renamed", "project": "Demo", "stages": [{"target": "all"}]},
        format="json",
        HTTP_IF_MATCH=seen,
    )

    assert_precondition_failed(patched)
    assert_precondition_failed(replaced)
    plan.refresh_from_db()
    assert (plan.name, plan.description) == ("Release plan", "someone else's edit")
    assert plan.stages.count() == 3


def test_a_current_if_match_on_a_plan_applies_and_answers_the_new_etag(manager, api_as, plan):
    client = api_as(manager)
    seen = client.get(plan_url(plan))["ETag"]

    response = client.patch(
        plan_url(plan), {"description": "mine"}, format="json", HTTP_IF_MATCH=seen
    )

    assert response.status_code == 200, response.json()
    assert response.json()["description"] == "mine"
    assert response["ETag"] != seen
    assert response["ETag"] == client.get(plan_url(plan))["ETag"]


@pytest.mark.parametrize("header", ["*", 'W/"{tag}"'])
def test_if_match_star_applies_and_a_weak_tag_never_matches(manager, api_as, plan, header):
    client = api_as(manager)
    tag = client.get(plan_url(plan))["ETag"].strip('"')

    response = client.patch(
        plan_url(plan),
        {"description": "mine"},
        format="json",
        HTTP_IF_MATCH=header.format(tag=tag),
    )

    assert response.status_code == (200 if header == "*" else 412)


def test_if_match_on_a_missing_plan_is_a_404(manager, api_as):
    response = api_as(manager).patch(
        reverse("api-plan", args=[999999]), {"description": "x"}, format="json", HTTP_IF_MATCH="*"
    )

    assert response.status_code == 404


# --- rollouts


def test_a_rollout_answers_an_etag_and_304_while_unchanged(viewer, api_as, running):
    client = api_as(viewer)
    tag = client.get(rollout_url(running))["ETag"]

    response = client.get(rollout_url(running), HTTP_IF_NONE_MATCH=tag)

    assert response.status_code == 304 and response["ETag"] == tag


def test_an_action_on_a_changed_rollout_is_412_and_not_taken(
    manager, other_manager, api_as, running
):
    client = api_as(manager)
    seen = client.get(rollout_url(running))["ETag"]
    paused = api_as(other_manager).post(
        rollout_url(running, "pause"), {"reason": "look"}, format="json"
    )
    assert paused.status_code == 200

    response = client.post(
        rollout_url(running, "resume"), {"reason": "go"}, format="json", HTTP_IF_MATCH=seen
    )

    assert_precondition_failed(response)
    running.refresh_from_db()
    assert running.status == RolloutStatus.PAUSED
    assert not Event.objects.filter(rollout=running, kind=EventKind.RESUMED).exists()


def test_an_action_with_the_current_etag_is_taken_and_answers_the_new_one(manager, api_as, running):
    client = api_as(manager)
    seen = client.get(rollout_url(running))["ETag"]

    response = client.post(
        rollout_url(running, "pause"), {"reason": "look"}, format="json", HTTP_IF_MATCH=seen
    )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "paused"
    assert response["ETag"] == client.get(rollout_url(running))["ETag"] != seen


def test_a_stage_edit_on_a_changed_rollout_is_412(manager, api_as, running):
    client = api_as(manager)
    client.post(rollout_url(running, "pause"), {"reason": "edit"}, format="json")
    seen = client.get(rollout_url(running))["ETag"]
    client.post(rollout_url(running, "resume"), {"reason": "on"}, format="json")
    client.post(rollout_url(running, "pause"), {"reason": "again"}, format="json")

    response = client.patch(
        reverse("api-rollout-stage", args=[running.pk, 3]),
        {"name": "all of them"},
        format="json",
        HTTP_IF_MATCH=seen,
    )

    assert_precondition_failed(response)
    assert running.stages.get(position=3).name == "everyone"
