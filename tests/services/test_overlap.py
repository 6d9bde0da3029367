"""The overlap guard: a start that targets devices an active rollout of the same project also
targets is refused naming that rollout (service, REST API 409, the new-rollout form), unless a
release manager confirms with a reason, which becomes an event."""

import threading

import pytest
from django.db import connection, transaction
from django.urls import reverse

from rollouts.models import Event, EventKind, Rollout, RolloutStatus
from rollouts.roles import OPERATOR
from rollouts.services.actions import rollout_launch
from rollouts.services.errors import ActionRefused
from rollouts.services.plans import plan_create
from tests.api.conftest import client_for
from tests.support.fleet import inventory_read
from tests.support.roles import user_with_role

pytestmark = pytest.mark.django_db(transaction=True)

RELEASE = {"flow_id": "73a7-1ft8", "app_name": "default_app", "app_version": "v3"}


def launch(plan, actor, **kwargs):
    return rollout_launch(plan=plan, actor=actor, **RELEASE, **kwargs)


@pytest.fixture
def first(fleet_sim, release_manager):
    inventory_read("Demo")
    plan = plan_create(name="A", project="Demo", stages=[{"target": "groups", "groups": ["Lab"]}])
    return launch(plan, release_manager)


@pytest.fixture
def overlapping():
    return plan_create(
        name="B", project="Demo", stages=[{"target": "groups", "groups": ["Lab", "TestGroup2"]}]
    )


def test_an_overlapping_start_is_refused_naming_the_other_rollout(
    first, overlapping, release_manager
):
    lab = inventory_lab_devices()

    with pytest.raises(ActionRefused) as refused:
        launch(overlapping, release_manager)

    assert refused.value.code == "conflict"
    assert f"rollout {first.pk} (A v3, running) targets {lab} of the same devices" in str(
        refused.value
    )
    assert Rollout.objects.count() == 1  # no draft left behind


def test_a_release_manager_confirms_with_a_reason_kept_as_an_event(
    first, overlapping, release_manager
):
    second = launch(overlapping, release_manager, overlap_reason="hotfix must land today")

    assert second.status == RolloutStatus.RUNNING
    event = Event.objects.get(rollout=second, kind=EventKind.OVERLAP_CONFIRMED)
    assert (event.actor, event.reason) == (release_manager, "hotfix must land today")
    assert event.details["overlaps"] == [
        {"rollout": first.pk, "label": "A v3, running", "devices": inventory_lab_devices()}
    ]


def test_an_operator_may_not_confirm_an_overlap(first, overlapping):
    operator = user_with_role("olga", OPERATOR)

    with pytest.raises(ActionRefused) as refused:
        launch(overlapping, operator, overlap_reason="because")

    assert refused.value.code == "permission_denied"


def test_no_overlap_no_question_and_a_finished_rollout_does_not_count(first, release_manager):
    apart = plan_create(
        name="C", project="Demo", stages=[{"target": "groups", "groups": ["US-East"]}]
    )
    assert launch(apart, release_manager).status == RolloutStatus.RUNNING

    Rollout.objects.filter(pk=first.pk).update(status=RolloutStatus.ABORTED)
    again = plan_create(name="D", project="Demo", stages=[{"target": "groups", "groups": ["Lab"]}])
    assert launch(again, release_manager).status == RolloutStatus.RUNNING


def test_the_api_answers_409_naming_it_then_201_with_a_reason(first, overlapping, release_manager):
    body = {"plan": overlapping.pk, **RELEASE, "start": True}
    api = client_for(release_manager)

    refused = api.post(reverse("api-rollouts"), body, format="json")
    assert refused.status_code == 409
    assert f"rollout {first.pk}" in str(refused.json())

    body["overlap_reason"] = "hotfix"
    assert api.post(reverse("api-rollouts"), body, format="json").status_code == 201
    assert Event.objects.filter(kind=EventKind.OVERLAP_CONFIRMED, reason="hotfix").exists()


def test_the_form_shows_the_refusal_next_to_the_reason_field(
    first, overlapping, client, release_manager
):
    client.force_login(release_manager)
    data = {"plan": overlapping.pk, **RELEASE, "start": "now"}

    html = client.post(reverse("rollout_new"), data).content.decode()

    reason = html.index('name="overlap_reason"')
    assert f"rollout {first.pk} (A v3, running)" in html[reason:]
    assert Rollout.objects.count() == 1


def inventory_lab_devices() -> int:
    from rollouts.models import FleetDevice

    return FleetDevice.objects.filter(project="Demo", group="Lab").count()


def test_a_drafts_start_endpoint_is_guarded_too(first, overlapping, release_manager):
    from rollouts.services.actions import rollout_create

    draft = rollout_create(plan=overlapping, actor=release_manager, **RELEASE)
    api = client_for(release_manager)
    url = reverse("api-rollout-start", args=[draft.pk])

    refused = api.post(url, {}, format="json")
    assert refused.status_code == 409 and f"rollout {first.pk}" in str(refused.json())
    draft.refresh_from_db()
    assert draft.status == RolloutStatus.DRAFT

    assert api.post(url, {"overlap_reason": "hotfix"}, format="json").status_code == 200
    assert Event.objects.filter(rollout=draft, kind=EventKind.OVERLAP_CONFIRMED).exists()


def test_two_overlapping_starts_at_once_cannot_both_pass_the_guard(fleet_sim, release_manager):
    """A's start holds the project's start lock until it commits: B's start, made meanwhile,
    waits for it, then finds A running and is refused, instead of both starting unseen."""
    from rollouts.services.actions import rollout_create, rollout_start

    inventory_read("Demo")
    lab = plan_create(name="A", project="Demo", stages=[{"target": "groups", "groups": ["Lab"]}])
    also_lab = plan_create(name="B", project="Demo", stages=[{"target": "all"}])
    draft_a = rollout_create(plan=lab, actor=release_manager, **RELEASE)
    draft_b = rollout_create(plan=also_lab, actor=release_manager, **RELEASE)
    a_started, a_may_commit = threading.Event(), threading.Event()
    b_outcome = []

    def start_a():
        try:
            with transaction.atomic():
                rollout_start(rollout=draft_a, actor=release_manager)
                a_started.set()
                a_may_commit.wait(10)
        finally:
            connection.close()

    def start_b():
        try:
            rollout_start(rollout=draft_b, actor=release_manager)
            b_outcome.append("started")
        except ActionRefused as refused:
            b_outcome.append(refused.code)
        finally:
            connection.close()

    a = threading.Thread(target=start_a)
    a.start()
    assert a_started.wait(10)
    b = threading.Thread(target=start_b)
    b.start()
    b.join(1.0)
    waited = b.is_alive()
    a_may_commit.set()
    a.join(10)
    b.join(10)

    assert waited  # B's guard waited for A's transaction
    assert b_outcome == ["conflict"]
    statuses = dict(Rollout.objects.values_list("pk", "status"))
    assert statuses == {draft_a.pk: RolloutStatus.RUNNING, draft_b.pk: RolloutStatus.DRAFT}
