"""The record in the admin: every page loads for an admin, nothing can be added, changed or
deleted (the history must not change), and lists run the same queries at any size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rollouts.models import (
    ApiCall,
    DeviceProgress,
    Event,
    Rollout,
    RolloutStage,
    RolloutStatus,
    StageStatus,
    WorkerHeartbeat,
)
from tests.factories import ApiCallFactory, EventFactory, WorkerHeartbeatFactory
from tests.support.console_data import rollout_built

pytestmark = pytest.mark.django_db

READ_ONLY = [Rollout, RolloutStage, DeviceProgress, Event, ApiCall, WorkerHeartbeat]


def url(model, view: str, *args) -> str:
    return reverse(f"admin:rollouts_{model._meta.model_name}_{view}", args=args)


def grow(user, n: int) -> None:
    for _ in range(n):
        rollout = rollout_built(user=user, devices=3)
        rollout_built(
            user=user,
            stage_statuses=(StageStatus.SUCCEEDED, StageStatus.PENDING, StageStatus.PENDING),
            second_stage_approved=False,
        )
        rollout_built(user=user, status=RolloutStatus.PAUSED)
        stage = rollout.stages.get(position=2)
        EventFactory.create_batch(3, rollout=rollout, stage=stage, kind="sweep", actor=user)
        ApiCallFactory.create_batch(3, rollout=rollout, stage=stage, kind="poll")
        WorkerHeartbeatFactory()


@pytest.fixture
def admin_client(client, console_admin, release_manager):
    grow(release_manager, 1)
    client.force_login(console_admin)
    return client


@pytest.mark.parametrize("model", READ_ONLY, ids=lambda m: m.__name__)
def test_list_and_detail_load_for_an_admin(admin_client, model):
    obj = model.objects.order_by("pk").last()

    listing = admin_client.get(url(model, "changelist"))
    detail = admin_client.get(url(model, "change", obj.pk))

    assert listing.status_code == 200
    assert detail.status_code == 200
    assert f"/{obj.pk}/change/" in listing.content.decode()


@pytest.mark.parametrize("model", READ_ONLY, ids=lambda m: m.__name__)
def test_nothing_can_be_added_changed_or_deleted(admin_client, model):
    obj = model.objects.order_by("pk").last()
    before = model.objects.count()

    detail = admin_client.get(url(model, "change", obj.pk)).content.decode()
    listing = admin_client.get(url(model, "changelist")).content.decode()

    assert 'name="_save"' not in detail  # no Save button
    assert url(model, "delete", obj.pk) not in detail  # no Delete link
    assert url(model, "add") not in listing  # no Add button
    assert 'value="delete_selected"' not in listing  # no bulk delete action
    assert admin_client.get(url(model, "add")).status_code == 403
    assert admin_client.post(url(model, "add"), {}).status_code == 403
    assert admin_client.post(url(model, "change", obj.pk), {}).status_code == 403
    assert admin_client.get(url(model, "delete", obj.pk)).status_code == 403
    assert admin_client.post(url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    bulk = admin_client.post(
        url(model, "changelist"), {"action": "delete_selected", "_selected_action": [obj.pk]}
    )
    assert bulk.status_code in (200, 302)
    assert model.objects.count() == before


def test_the_rollout_page_lists_its_stages_read_only(admin_client):
    rollout = Rollout.objects.filter(status=RolloutStatus.RUNNING).first()

    page = admin_client.get(url(Rollout, "change", rollout.pk)).content.decode()

    for stage in rollout.stages.all():
        assert url(RolloutStage, "change", stage.pk) in page
    assert 'name="stages-0-status"' not in page  # shown as text, not as a field


def test_a_viewer_with_staff_access_sees_the_record_but_not_the_people(client, viewer):
    viewer.is_staff = True
    viewer.save()
    client.force_login(viewer)

    assert client.get(url(Rollout, "changelist")).status_code == 200
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403


def queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("model", READ_ONLY, ids=lambda m: m.__name__)
def test_lists_run_the_same_queries_at_any_size(admin_client, release_manager, model):
    queries(admin_client, url(model, "changelist"))  # a first request writes the session
    small = queries(admin_client, url(model, "changelist"))
    grow(release_manager, 5)
    large = queries(admin_client, url(model, "changelist"))

    assert small == large
