"""A stage's passes: the deploy's numbers frozen by a retry, the retry's counted on their own."""

import pytest

from rollouts.engine.passes import pass_begin_retry, sample_record
from rollouts.models import Event, EventKind, RolloutStage, RolloutStatus, StagePass, StageSample
from rollouts.selectors.passes import passes_of, passes_text
from rollouts.services.actions import stage_retry_failed
from tests.support.console_data import rollout_built

pytestmark = pytest.mark.django_db


def _read(stage, **counts):
    """What a completed read-back leaves: the stage's counts, then its sample."""
    RolloutStage.objects.filter(pk=stage.pk).update(**counts)
    return sample_record(stage)


def _canary(release_manager):
    rollout = rollout_built(user=release_manager, status=RolloutStatus.PAUSED, devices=0)
    stage = rollout.stages.get(position=2)
    counts = {"count_in_progress": 0, "count_pending": 0}
    cohort = {"project": {"name": "Demo"}, "groups": [{"name": "EU-West"}], "filters": []}
    RolloutStage.objects.filter(pk=stage.pk).update(cohort=cohort)
    _read(stage, devices_total=11, count_success=3, count_failed=8, **counts)
    return rollout, stage


def test_the_first_read_back_makes_the_deploy_pass_and_a_sample(release_manager):
    _, stage = _canary(release_manager)

    first = StagePass.objects.get(stage=stage)
    assert (first.number, first.kind, first.started_at) == (1, "deploy", stage.started_at)
    assert (first.devices_total, first.count_success, first.count_failed) == (11, 3, 8)
    sample = StageSample.objects.get(stage=stage)
    assert (sample.pass_number, sample.count_success, sample.count_failed) == (1, 3, 8)


def test_retry_freezes_the_first_pass_and_counts_its_own(release_manager):
    rollout, stage = _canary(release_manager)

    stage_retry_failed(rollout=rollout, stage=fresh(stage), actor=release_manager)
    _read(stage, count_success=11, count_failed=0)  # every retried device succeeded

    first, retry = passes_of([stage])[stage.pk]
    assert first["summary"] == "first pass 3/11 succeeded, 8 failed"
    assert first["ended_at"] is not None
    assert retry["summary"] == "retry 8/8 succeeded"
    assert retry["started_by"] == release_manager.get_username()
    assert passes_text([first, retry]) == (
        "first pass 3/11 succeeded, 8 failed; retry 8/8 succeeded"
    )
    event = Event.objects.get(stage=stage, kind=EventKind.RETRY_REQUESTED)
    assert event.details["pass"] == 2
    assert StageSample.objects.filter(stage=stage, pass_number=2).count() == 1


def test_a_second_retry_is_numbered_and_leaves_the_first_retry_as_it_was(release_manager):
    _, stage = _canary(release_manager)
    pass_begin_retry(stage=stage, actor=release_manager)
    _read(stage, count_success=9, count_failed=2)
    pass_begin_retry(stage=stage, actor=release_manager)
    _read(stage, count_success=10, count_failed=1)

    summaries = [p["summary"] for p in passes_of([stage])[stage.pk]]
    assert summaries == [
        "first pass 3/11 succeeded, 8 failed",
        "retry 6/8 succeeded, 2 failed",
        "retry 2: 1/2 succeeded, 1 failed",
    ]


def test_a_stage_read_before_passes_were_kept_gets_its_first_pass_at_the_retry(release_manager):
    rollout = rollout_built(user=release_manager, status=RolloutStatus.PAUSED, devices=6)
    stage = rollout.stages.get(position=2)  # counted, never sampled: 6 ok, 1 failed of 10

    pass_begin_retry(stage=stage, actor=release_manager)

    first, retry = passes_of([stage])[stage.pk]
    assert first["summary"] == "first pass 6/10 succeeded, 1 failed, 3 pending"
    assert (retry["devices"], retry["succeeded"]) == (1, 0)


def fresh(obj):
    obj.refresh_from_db()
    return obj


def test_read_backs_that_find_the_same_numbers_keep_the_first_and_last_sample(release_manager):
    _, stage = _canary(release_manager)  # a first sample: 3 succeeded, 8 failed
    kept = [_read(stage, count_success=3) for _ in range(5)]  # nothing changed, five times

    samples = list(StageSample.objects.filter(stage=stage).order_by("taken_at", "id"))
    assert len(samples) == 2
    assert samples[-1].taken_at == kept[-1].taken_at > samples[0].taken_at

    _read(stage, count_success=4, count_failed=7)  # a change starts a new sample
    _read(stage, count_success=4, count_failed=7)
    counts = list(
        StageSample.objects.filter(stage=stage)
        .order_by("taken_at", "id")
        .values_list("count_success", flat=True)
    )
    assert counts == [3, 3, 4, 4]
