"""Badges follow the rollout; a completed rollout says what it left behind."""

import pytest

from rollouts.models import Rollout, RolloutStatus, StageStatus
from rollouts.selectors.outcome import (
    annotated_outcome,
    outcome_text,
    rollout_outcome,
    stage_badge,
    with_shortfalls,
)
from tests.factories import RolloutStageFactory
from tests.support.console_data import rollout_built

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("rollout_status", "stage_status", "badge"),
    [
        (RolloutStatus.RUNNING, StageStatus.MONITORING, ("monitoring", "Monitoring")),
        (RolloutStatus.PAUSED, StageStatus.MONITORING, ("paused", "Paused")),
        (RolloutStatus.PAUSED, StageStatus.DEPLOYING, ("paused", "Paused")),
        (RolloutStatus.ABORTED, StageStatus.MONITORING, ("aborted", "Aborted")),
        (RolloutStatus.FAILED, StageStatus.MONITORING, ("failed", "Failed")),
        (RolloutStatus.ABORTED, StageStatus.PENDING, ("skipped", "Not started")),
        (RolloutStatus.PAUSED, StageStatus.PENDING, ("pending", "Pending")),
        (RolloutStatus.ABORTED, StageStatus.SUCCEEDED, ("succeeded", "Succeeded")),
    ],
)
def test_a_stage_badge_follows_its_rollout(rollout_status, stage_status, badge):
    stage = RolloutStageFactory.build(status=stage_status)

    assert stage_badge(rollout_status=rollout_status, stage=stage) == badge


def test_completed_says_what_it_left_behind():
    assert outcome_text(status="completed", label="Completed") == "Completed"
    assert (
        outcome_text(status="completed", label="Completed", failed=5, not_reached=2)
        == "Completed with 5 failed, 2 not reached"
    )
    assert outcome_text(status="paused", label="Paused", failed=5) == "Paused"


def test_the_annotated_outcome_matches_the_one_from_loaded_stages(release_manager):
    rollout = rollout_built(
        user=release_manager,
        status=RolloutStatus.COMPLETED,
        stage_statuses=(StageStatus.SUCCEEDED, StageStatus.SUCCEEDED, StageStatus.SUCCEEDED),
    )
    stage = rollout.stages.get(position=3)
    type(stage).objects.filter(pk=stage.pk).update(
        count_failed=3, count_aborted=2, count_not_reached=2, count_in_progress=1
    )

    annotated = with_shortfalls(Rollout.objects.filter(pk=rollout.pk)).get()
    loaded = rollout_outcome(rollout=rollout, stages=list(rollout.stages.all()))

    assert annotated_outcome(annotated) == loaded
    assert loaded == "Completed with 5 failed, 1 pending, 2 not reached"
