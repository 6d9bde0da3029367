from datetime import timedelta

import pytest
from django.utils import timezone

from rollouts.models import StageSample
from rollouts.selectors import charts
from rollouts.selectors.charts import StagePoint, stage_series
from rollouts.selectors.passes import samples_of
from tests.support.console_data import rollout_built

pytestmark = pytest.mark.django_db


def _sample(stage, at, *, success, failed=0, total=10):
    return StageSample.objects.create(
        stage=stage, taken_at=at, devices_total=total, count_success=success, count_failed=failed
    )


def test_a_stage_not_started_has_no_points(release_manager):
    rollout = rollout_built(user=release_manager)

    assert stage_series(stage=rollout.stages.get(position=3), samples=[]) == []


def test_each_stored_sample_is_a_point_a_retry_dip_included(release_manager):
    rollout = rollout_built(user=release_manager, devices=6)  # stage 2: 6 ok, 1 failed of 10
    stage = rollout.stages.get(position=2)
    start = stage.started_at
    _sample(stage, start + timedelta(minutes=1), success=3, failed=7)
    _sample(stage, start + timedelta(minutes=2), success=3, failed=0)  # retried: failures queued
    _sample(stage, start + timedelta(minutes=3), success=6, failed=1)
    _sample(rollout.stages.get(position=1), start, success=1, total=1)  # another stage's
    now = timezone.now() + timedelta(minutes=1)

    points = stage_series(stage=stage, samples=samples_of([stage])[stage.pk], now=now)

    assert points == [
        StagePoint(start, 0.0, 0.0),
        StagePoint(start + timedelta(minutes=1), 30.0, 70.0),
        StagePoint(start + timedelta(minutes=2), 30.0, 0.0),
        StagePoint(start + timedelta(minutes=3), 60.0, 10.0),
        StagePoint(now, 60.0, 10.0),  # the stage's latest counts, held until now
    ]


def test_a_long_stage_is_thinned_keeping_its_first_and_last_samples(release_manager, monkeypatch):
    monkeypatch.setattr(charts, "MAX_POINTS", 5)
    rollout = rollout_built(user=release_manager, devices=6)
    stage = rollout.stages.get(position=2)
    samples = [
        _sample(stage, stage.started_at + timedelta(seconds=10 * n), success=n % 10)
        for n in range(1, 21)
    ]

    points = stage_series(stage=stage, samples=samples, now=timezone.now())

    assert len(points) == 1 + 5 + 1  # start, five samples, now
    assert points[1].at == samples[0].taken_at
    assert points[5].at == samples[-1].taken_at


def test_a_finished_stage_ends_at_its_final_counts(release_manager):
    rollout = rollout_built(user=release_manager, devices=4)
    stage = rollout.stages.get(position=1)

    points = stage_series(stage=stage, samples=[])

    assert points[-1] == StagePoint(stage.finished_at, 100.0, 0.0)
