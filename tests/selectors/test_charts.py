from datetime import timedelta

import pytest
from django.utils import timezone

from rollouts.models import EventKind
from rollouts.selectors.charts import StagePoint, stage_series
from tests.factories import EventFactory
from tests.support.console_data import rollout_built

pytestmark = pytest.mark.django_db


def test_a_stage_not_started_has_no_points(release_manager):
    rollout = rollout_built(user=release_manager)

    assert stage_series(stage=rollout.stages.get(position=3), events=[]) == []


def test_points_come_from_start_counted_events_and_the_latest_read_back(release_manager):
    rollout = rollout_built(user=release_manager, devices=6)  # stage 2: 6 ok, 1 failed of 10
    stage = rollout.stages.get(position=2)
    met = EventFactory(
        rollout=rollout,
        stage=stage,
        kind=EventKind.STAGE_THRESHOLD_MET,
        details={"success": 5, "of": 10},
    )
    other_stage = EventFactory(
        rollout=rollout,
        stage=rollout.stages.get(position=1),
        kind=EventKind.STAGE_THRESHOLD_MET,
        details={"success": 1, "of": 1},
    )
    now = timezone.now() + timedelta(minutes=1)

    points = stage_series(stage=stage, events=[met, other_stage], now=now)

    assert points == [
        StagePoint(stage.started_at, 0.0, 0.0),
        StagePoint(met.created_at, 50.0, 0.0),
        StagePoint(now, 60.0, 10.0),
    ]


def test_a_succeeded_stage_ends_at_its_final_counts(release_manager):
    rollout = rollout_built(user=release_manager, devices=4)
    stage = rollout.stages.get(position=1)
    done = EventFactory(
        rollout=rollout,
        stage=stage,
        kind=EventKind.STAGE_SUCCEEDED,
        details={"counts": {"success": 3, "failed": 1, "aborted": 0}, "devices": 4},
    )

    points = stage_series(stage=stage, events=[done])

    assert points[1] == StagePoint(done.created_at, 75.0, 25.0)
    assert points[-1].success_pct == 100.0  # the read-back stored on the stage
    assert points[-1].at >= stage.finished_at
