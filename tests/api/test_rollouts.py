"""/api/v1/rollouts: create (draft, started, scheduled), list with filters, get with stages."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from rollouts.models import Event, EventKind, Rollout, RolloutStage, RolloutStatus, StageStatus
from rollouts.services.actions import rollout_create
from tests.factories import RolloutFactory

pytestmark = pytest.mark.django_db

ROLLOUTS = reverse("api-rollouts")


def release(plan, **extra) -> dict:
    return {
        "plan": plan.pk,
        "flow_id": "73a7-1ft8",
        "app_name": "default_app",
        "app_version": "v2.1",
        "comment": "release 2.1",
        **extra,
    }


def test_create_a_draft(manager, api_as, plan):
    response = api_as(manager).post(ROLLOUTS, release(plan), format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    rollout = Rollout.objects.get(pk=body["id"])
    assert response["Location"] == reverse("api-rollout", args=[rollout.pk])
    assert rollout.status == RolloutStatus.DRAFT and rollout.created_by == manager
    assert (rollout.flow_id, rollout.app_name, rollout.app_version) == (
        "73a7-1ft8",
        "default_app",
        "v2.1",
    )
    assert body["status"] == "draft" and body["stages"] == [] and body["plan_name"] == plan.name
    assert body["created_by"] == "rita" and body["started_by"] is None


def test_create_and_start_at_once(manager, api_as, plan):
    response = api_as(manager).post(ROLLOUTS, release(plan, start=True), format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "running" and body["started_by"] == "rita"
    assert [s["status"] for s in body["stages"]] == ["pending"] * 3
    assert body["stages"][0]["approved_by"] == "rita"  # the starter approves stage 1
    assert body["current_stage"] == 1 and body["awaiting_approval"] is False
    kinds = list(Event.objects.filter(rollout_id=body["id"]).values_list("kind", flat=True))
    assert kinds == [EventKind.CREATED, EventKind.STARTED]


def test_create_scheduled(manager, api_as, plan):
    at = timezone.now() + timedelta(hours=2)

    response = api_as(manager).post(
        ROLLOUTS, release(plan, start=True, scheduled_at=at.isoformat()), format="json"
    )

    assert response.status_code == 201, response.json()
    rollout = Rollout.objects.get(pk=response.json()["id"])
    assert rollout.status == RolloutStatus.SCHEDULED
    assert abs(rollout.scheduled_at - at) < timedelta(seconds=1)


def test_scheduled_at_without_start_is_a_400(manager, api_as, plan):
    at = (timezone.now() + timedelta(hours=2)).isoformat()

    response = api_as(manager).post(ROLLOUTS, release(plan, scheduled_at=at), format="json")

    assert response.status_code == 400 and response.json()["field"] == "scheduled_at"
    assert not Rollout.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"flow_id": ""}, "flow_id"),
        ({"flow_id": "   "}, "flow_id"),
        ({"app_name": None}, "app_name"),
        ({"app_version": "v" * 101}, "app_version"),
        ({"app_version": ["v1"]}, "app_version"),
        ({"flow_id": "a\nb"}, "flow_id"),
        ({"comment": "c" * 501}, "comment"),
        ({"plan": 999999}, "plan"),
        ({"plan": "x"}, "plan"),
        ({"start": "maybe"}, "start"),
        ({"scheduled_at": "tomorrow", "start": True}, "scheduled_at"),
    ],
)
def test_invalid_rollouts_are_a_400_naming_the_field(manager, api_as, plan, change, field):
    response = api_as(manager).post(ROLLOUTS, {**release(plan), **change}, format="json")

    assert response.status_code == 400
    assert response.json()["field"] == field, response.json()
    assert not Rollout.objects.exists()


def test_missing_fields_are_all_named(manager, api_as):
    response = api_as(manager).post(ROLLOUTS, {}, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"plan", "flow_id", "app_name", "app_version"}


def test_a_user_who_may_create_but_not_operate_cannot_start(db, api_as, plan):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    creator = UserFactory(username="cara")
    creator.user_permissions.set(
        Permission.objects.filter(codename__in=["view_rollout", "add_rollout"])
    )

    draft = api_as(creator).post(ROLLOUTS, release(plan), format="json")
    started = api_as(creator).post(ROLLOUTS, release(plan, start=True), format="json")

    assert draft.status_code == 201
    assert started.status_code == 403
    assert list(Rollout.objects.values_list("status", flat=True)) == ["draft"]


def test_list_newest_first_with_filters(viewer, api_as, plan, manager, other_manager):
    def make(version, actor, **fields):
        rollout = rollout_create(
            plan=plan, flow_id="f", app_name="a", app_version=version, actor=actor
        )
        Rollout.objects.filter(pk=rollout.pk).update(**fields)
        return rollout

    old = make("v1", manager, status=RolloutStatus.COMPLETED)
    mid = make("v2", other_manager, status=RolloutStatus.RUNNING)
    new = make("v2", manager)
    elsewhere = RolloutFactory(app_version="v2", status=RolloutStatus.DRAFT)
    client = api_as(viewer)

    def ids(**params):
        response = client.get(ROLLOUTS, params)
        assert response.status_code == 200, response.json()
        return [r["id"] for r in response.json()["results"]]

    assert ids() == [elsewhere.pk, new.pk, mid.pk, old.pk]
    assert ids(status="running") == [mid.pk]
    assert ids(status="") == ids()
    assert ids(plan=plan.pk) == [new.pk, mid.pk, old.pk]
    assert ids(app_version="v2", plan=plan.pk) == [new.pk, mid.pk]
    assert ids(created_by="rita") == [new.pk, old.pk]
    assert ids(created_by="nobody") == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "sleeping"}, "status"),
        ({"plan": "abc"}, "plan"),
        ({"plan": "0"}, "plan"),
        ({"app_version": "v\x00"}, "app_version"),
        ({"created_by": "u" * 151}, "created_by"),
        ({"page": "x"}, "page"),
        ({"page": "0"}, "page"),
    ],
)
def test_bad_filters_are_a_400_naming_the_parameter(viewer, api_as, params, field):
    response = api_as(viewer).get(ROLLOUTS, params)

    assert response.status_code == 400
    assert response.json()["field"] == field


def test_get_a_rollout_with_stages_counts_and_last_error(viewer, api_as, running):
    stage = running.stages.get(position=1)
    RolloutStage.objects.filter(pk=stage.pk).update(
        status=StageStatus.MONITORING,
        devices_total=10,
        count_success=6,
        count_failed=1,
        count_pending=2,
        count_not_reached=1,
        last_error="device d-1 rejected the update",
    )
    Rollout.objects.filter(pk=running.pk).update(last_error="deploy call failed: 500")

    response = api_as(viewer).get(reverse("api-rollout", args=[running.pk]))

    body = response.json()
    assert body["last_error"] == "deploy call failed: 500"
    assert body["stage_count"] == 3 and body["current_stage"] == 1
    first = body["stages"][0]
    assert first["status"] == "monitoring" and first["devices_total"] == 10
    assert first["counts"] == {
        "pending": 2,
        "in_progress": 0,
        "success": 6,
        "failed": 1,
        "aborted": 0,
        "not_reached": 1,
    }
    assert first["last_error"] == "device d-1 rejected the update"
    assert [s["target"] for s in body["stages"]] == ["tag", "groups", "all"]


def test_awaiting_approval_when_the_next_stage_waits(viewer, api_as, running):
    RolloutStage.objects.filter(rollout=running, position=1).update(status=StageStatus.SUCCEEDED)

    body = api_as(viewer).get(reverse("api-rollout", args=[running.pk])).json()

    assert body["current_stage"] == 2 and body["awaiting_approval"] is True


def test_get_a_missing_rollout_is_a_404(viewer, api_as):
    response = api_as(viewer).get(reverse("api-rollout", args=[424242]))

    assert response.status_code == 404
    assert response.json() == {"detail": "Rollout 424242 not found.", "code": "not_found"}


# --- Honest status and kept evidence (issue 12) -----------------------------------------------


def test_a_rollout_says_its_outcome_stage_badges_and_each_pass(
    viewer, api_as, running, manager, django_assert_max_num_queries
):
    from rollouts.engine.passes import pass_begin_retry, sample_record

    stage = RolloutStage.objects.get(rollout=running, position=1)
    RolloutStage.objects.filter(pk=stage.pk).update(
        status=StageStatus.MONITORING, devices_total=11, count_success=3, count_failed=8
    )
    sample_record(stage)
    pass_begin_retry(stage=stage, actor=manager)
    RolloutStage.objects.filter(pk=stage.pk).update(count_success=11, count_failed=0)
    sample_record(stage)
    Rollout.objects.filter(pk=running.pk).update(status=RolloutStatus.PAUSED)
    client = api_as(viewer)

    with django_assert_max_num_queries(12):  # constant: stages and passes prefetched
        body = client.get(reverse("api-rollout", args=[running.pk])).json()

    assert body["outcome"] == "Paused"
    first = body["stages"][0]
    assert (first["status"], first["display_status"]) == ("monitoring", "Paused")
    assert [p["summary"] for p in first["passes"]] == [
        "first pass 3/11 succeeded, 8 failed",
        "retry 8/8 succeeded",
    ]
    assert first["passes"][0]["ended_at"] is not None
    assert (first["passes"][1]["kind"], first["passes"][1]["started_by"]) == ("retry", "rita")
    assert body["stages"][1]["passes"] == []


def test_a_completed_rollout_lists_its_outcome_with_what_it_left_behind(viewer, api_as, running):
    RolloutStage.objects.filter(rollout=running).update(status=StageStatus.SUCCEEDED)
    RolloutStage.objects.filter(rollout=running, position=3).update(
        devices_total=40, count_success=33, count_failed=5, count_not_reached=2
    )
    Rollout.objects.filter(pk=running.pk).update(status=RolloutStatus.COMPLETED)

    listed = api_as(viewer).get(ROLLOUTS).json()["results"][0]

    assert listed["outcome"] == "Completed with 5 failed, 2 not reached"
