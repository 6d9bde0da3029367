import pytest
from django.contrib.auth.models import Permission

from rollouts.engine.lifecycle import Awaiting, rollout_waiting
from rollouts.models import RolloutStatus, StageStatus
from rollouts.selectors.approvals import (
    approvers_for,
    approvers_list,
    stages_awaiting_approval,
)
from tests.factories import UserFactory
from tests.support.console_data import rollout_built

pytestmark = pytest.mark.django_db

SUCCEEDED, PENDING, MONITORING, SKIPPED = (
    StageStatus.SUCCEEDED,
    StageStatus.PENDING,
    StageStatus.MONITORING,
    StageStatus.SKIPPED,
)


def awaiting(rollout):
    """The lifecycle's answer, which the query form (stages_awaiting_approval) must match."""
    waiting = rollout_waiting(rollout=rollout, stages=list(rollout.stages.all()))
    return waiting.stage if waiting.kind == Awaiting.APPROVAL else None


def test_a_pending_unapproved_stage_after_done_stages_awaits(release_manager):
    rollout = rollout_built(
        user=release_manager,
        stage_statuses=(SUCCEEDED, PENDING, PENDING),
        second_stage_approved=False,
    )

    assert awaiting(rollout).position == 2
    assert [s.position for s in stages_awaiting_approval()] == [2]


def test_a_skipped_stage_counts_as_done(release_manager):
    rollout = rollout_built(
        user=release_manager,
        stage_statuses=(SKIPPED, PENDING, PENDING),
        second_stage_approved=False,
    )

    assert awaiting(rollout).position == 2
    assert stages_awaiting_approval().get().rollout == rollout


@pytest.mark.parametrize(
    ("status", "stages", "approved"),
    [
        (RolloutStatus.PAUSED, (SUCCEEDED, PENDING, PENDING), False),  # not running
        (RolloutStatus.RUNNING, (SUCCEEDED, MONITORING, PENDING), True),  # earlier stage open
        (RolloutStatus.RUNNING, (SUCCEEDED, PENDING, PENDING), True),  # already approved
    ],
)
def test_nothing_awaits_otherwise(release_manager, status, stages, approved):
    rollout = rollout_built(
        user=release_manager, status=status, stage_statuses=stages, second_stage_approved=approved
    )

    assert awaiting(rollout) is None
    assert not stages_awaiting_approval().exists()


def test_a_stage_that_needs_no_approval_does_not_await(release_manager):
    rollout = rollout_built(
        user=release_manager,
        stage_statuses=(SUCCEEDED, PENDING, PENDING),
        second_stage_approved=False,
    )
    rollout.stages.filter(position=2).update(approval_required=False)

    assert awaiting(rollout) is None
    assert not stages_awaiting_approval().exists()


def test_the_previous_stage_result_comes_along(release_manager):
    rollout_built(
        user=release_manager,
        stage_statuses=(SUCCEEDED, PENDING, PENDING),
        second_stage_approved=False,
        devices=7,
    )

    stage = stages_awaiting_approval().get()

    assert (stage.previous_success, stage.previous_total) == (7, 7)


def test_approvers_are_managers_superusers_and_direct_grants(
    release_manager, other_manager, viewer, console_admin, outsider
):
    direct = UserFactory(username="dina")
    direct.user_permissions.add(Permission.objects.get(codename="approve_rollout"))
    UserFactory(username="gone", is_active=False, is_superuser=True)

    names = [u.username for u in approvers_list()]

    assert names == ["ada", "dina", "otto", "rita"]


def test_separation_of_duties_removes_the_starter(release_manager, other_manager):
    rollout = rollout_built(user=release_manager, require_different_approver=True)

    allowed = approvers_for(rollout=rollout, approvers=approvers_list())

    assert [u.username for u in allowed] == ["otto"]
