"""The engine's other whole-project reads also go on where the API budget cut them short:
the project's groups (for a stage that excludes earlier groups) and the check, before a deploy
is sent again after a worker was lost, that it did not land already."""

import math

import pytest
from django.core.cache import cache

from rollouts.engine.calls import request_of
from rollouts.engine.client import upswift_client
from rollouts.engine.outbox import calls_send_due
from rollouts.engine.steps import stage_begin
from rollouts.models import ApiCall, CallKind, CallState, Precheck
from rollouts.services.actions import rollout_create, rollout_start
from rollouts.services.plans import plan_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def started(stages):
    user = UserFactory()
    plan = plan_create(name="p", project="Demo", stages=stages, actor=user)
    rollout = rollout_create(
        plan=plan, flow_id="f", app_name="default_app", app_version="v7", actor=user
    )
    rollout_start(rollout=rollout, actor=user)
    return rollout, list(rollout.stages.order_by("position"))


def page_calls(sim, since):
    return [c for c in sim.calls()[since:] if c["path"].endswith("/devices_details")]


def deploy_calls(sim, since=0):
    return [c for c in sim.calls()[since:] if c["path"].endswith("/deploy_update")]


@pytest.fixture
def small_budget(settings):
    settings.UPSWIFT_PAGE_SIZE = 10
    settings.UPSWIFT_CALLS_PER_MINUTE = 3


def test_project_groups_read_cut_short_goes_on_and_reads_each_page_once(sim, small_budget):
    rollout, (first, last) = started(
        [{"target": "groups", "groups": ["TestGroup1"]}, {"target": "all"}]
    )
    devices = sim.truth(project="Demo")["devices"]
    since = len(sim.calls())

    ticks = 1
    while not stage_begin(rollout=rollout, stage=last, earlier=[first]):
        last.refresh_from_db()
        assert last.poll_cursor["pass"] == "groups"
        cache.clear()  # the next minute's budget
        ticks += 1
        assert ticks < 20

    assert len(page_calls(sim, since)) == math.ceil(devices / 10)  # each page read once
    assert ticks == math.ceil(math.ceil(devices / 10) / 3)
    every_group = {d["group"] for d in upswift_client().iter_devices_details(project_name="Demo")}
    last.refresh_from_db()
    assert set(last.cohort_filter().groups) == every_group - {"TestGroup1"}
    assert last.poll_cursor == {}


def test_resend_check_cut_short_goes_on_then_sends_the_deploy_once(sim, small_budget):
    rollout, (stage,) = started([{"target": "all"}])
    assert stage_begin(rollout=rollout, stage=stage, earlier=[])
    # The first attempt answered 500 (Upswift may have acted): check, and send if absent.
    ApiCall.objects.filter(stage=stage, kind=CallKind.DEPLOY).update(
        attempt=2, precheck=Precheck.RESEND_IF_ABSENT
    )
    devices = sim.truth(project="Demo")["devices"]
    since = len(sim.calls())

    ticks = 1
    while not calls_send_due(rollout=rollout, stage=stage):
        stage.refresh_from_db()
        assert stage.poll_cursor["pass"] == "landed"
        assert not deploy_calls(sim, since)
        cache.clear()
        ApiCall.objects.filter(stage=stage, state=CallState.QUEUED).update(not_before=None)
        ticks += 1
        assert ticks < 20

    assert len(page_calls(sim, since)) == math.ceil(devices / 10)  # each page read once
    assert len(deploy_calls(sim, since)) == 1  # nothing had landed: sent, once
    stage.refresh_from_db()
    assert stage.status == "monitoring"
    assert stage.poll_cursor == {}


def test_resend_check_stops_at_the_first_device_that_shows_the_deploy_landed(sim, settings):
    settings.UPSWIFT_PAGE_SIZE = 10
    rollout, (stage,) = started([{"target": "all"}])
    assert stage_begin(rollout=rollout, stage=stage, earlier=[])
    call = ApiCall.objects.get(stage=stage, kind=CallKind.DEPLOY)
    upswift_client().send(request_of(call))  # it reached the API; then the worker was lost
    ApiCall.objects.filter(pk=call.pk).update(attempt=2, precheck=Precheck.ASK_IF_ABSENT)
    since = len(sim.calls())

    assert calls_send_due(rollout=rollout, stage=stage)

    assert len(page_calls(sim, since)) == 1
    assert deploy_calls(sim, since) == []
    call.refresh_from_db()
    assert call.state == CallState.CANCELLED
    check = ApiCall.objects.get(stage=stage, kind=CallKind.POLL)
    assert (check.state, check.pages) == (CallState.SUCCEEDED, 1)  # not left `sending`
