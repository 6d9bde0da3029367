"""A completed read-back keeps a sample and its pass's numbers; a retry starts a new pass, and
the pass before keeps what it counted (the simulator over HTTP decides which devices fail)."""

import pytest
from django.core.cache import cache

from rollouts.engine import progress
from rollouts.engine.outbox import calls_send_due
from rollouts.models import CallKind, StagePass, StageSample
from rollouts.selectors.passes import passes_of
from rollouts.services.actions import stage_retry_failed
from tests.engine.scenes import begun, fresh, queued

pytestmark = pytest.mark.django_db(transaction=True)


def _read_back(rollout, stage):
    cache.clear()  # a fresh minute of API budget: the pass is read whole
    assert progress.stage_poll(rollout=rollout, stage=stage)
    return fresh(stage)


def test_each_completed_read_back_is_a_sample_of_the_stage(sim):
    rollout, stage, _ = begun()
    assert calls_send_due(rollout=rollout, stage=stage)
    stage = _read_back(rollout, fresh(stage))
    sim.advance(minutes=30)
    stage = _read_back(rollout, stage)

    samples = list(StageSample.objects.filter(stage=stage).order_by("taken_at"))
    assert len(samples) == 2
    assert samples[0].taken_at < samples[1].taken_at
    assert samples[-1].count_success == stage.count_success > samples[0].count_success
    assert samples[-1].devices_total == stage.devices_total
    first = StagePass.objects.get(stage=stage)
    assert (first.number, first.kind, first.ended_at) == (1, "deploy", None)
    assert first.count_success == stage.count_success  # follows the read-backs while current


def test_a_pass_cut_short_by_the_budget_keeps_no_sample(sim, settings):
    rollout, stage, _ = begun()
    assert calls_send_due(rollout=rollout, stage=stage)
    sim.advance(minutes=30)
    settings.UPSWIFT_PAGE_SIZE = 10
    settings.UPSWIFT_CALLS_PER_MINUTE = 2
    cache.clear()

    assert not progress.stage_poll(rollout=rollout, stage=fresh(stage))
    assert not StageSample.objects.filter(stage=stage).exists()


def test_a_retry_keeps_the_first_pass_numbers_and_counts_its_own(sim):
    sim.failure_rates(default=0.5)
    rollout, stage, _ = begun()
    marker = rollout.marker(stage)
    assert calls_send_due(rollout=rollout, stage=stage)
    sim.advance(minutes=30)
    stage = _read_back(rollout, fresh(stage))
    truth = sim.truth(project="Demo", comment=marker)["counts"]
    assert truth["failed"] and truth["success"]
    assert (stage.count_success, stage.count_failed) == (truth["success"], truth["failed"])

    sim.failure_rates(default=0.0)
    stage_retry_failed(rollout=rollout, stage=stage, actor=rollout.started_by)
    retry = queued(stage, CallKind.RETRY)
    assert retry, "the retry call is queued"
    assert calls_send_due(rollout=rollout, stage=stage)
    sim.advance(minutes=30)
    stage = _read_back(rollout, stage)
    assert stage.count_failed == 0  # the stage's own counts now say all succeeded

    first, again = passes_of([stage])[stage.pk]
    assert (first["kind"], first["succeeded"], first["failed"]) == (
        "deploy",
        truth["success"],
        truth["failed"],
    )
    assert first["devices"] == truth["success"] + truth["failed"]
    assert first["ended_at"] is not None
    assert (again["kind"], again["devices"], again["succeeded"], again["failed"]) == (
        "retry",
        truth["failed"],
        truth["failed"],
        0,
    )
    assert again["started_by"] == rollout.started_by.get_username()
    assert first["summary"] == (
        f"first pass {truth['success']}/{first['devices']} succeeded, {truth['failed']} failed"
    )
    assert again["summary"] == f"retry {truth['failed']}/{truth['failed']} succeeded"
    assert StageSample.objects.filter(stage=stage).values("pass_number").distinct().count() == 2
