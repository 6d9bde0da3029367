"""A scheduled rollout starts on time: not a second early, and then by the reconcile."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from rollouts.engine.steps import rollout_begin_scheduled, rollouts_reconcile
from rollouts.models import Event, EventKind, RolloutStatus
from rollouts.services.actions import rollout_create, rollout_start
from rollouts.services.plans import plan_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@time_machine.travel(NOW, tick=False)
def test_scheduled_rollout_starts_at_its_time(django_capture_on_commit_callbacks):
    user = UserFactory()
    plan = plan_create(name="p", project="Demo", stages=[{"target": "all"}], actor=user)
    rollout = rollout_create(
        plan=plan, flow_id="f", app_name="a", app_version="v1", comment="", actor=user
    )
    at = NOW + timedelta(hours=2)
    with django_capture_on_commit_callbacks() as callbacks:
        rollout_start(rollout=rollout, actor=user, at=at)
    assert callbacks == []  # nothing enqueued until its time
    assert rollout.status == RolloutStatus.SCHEDULED

    with time_machine.travel(at - timedelta(seconds=1), tick=False):
        assert rollouts_reconcile() == []
        assert rollout_begin_scheduled(rollout=rollout) is False

    with time_machine.travel(at, tick=False):
        assert rollouts_reconcile() == [rollout.pk]
        assert rollout_begin_scheduled(rollout=rollout) is True
        assert rollout_begin_scheduled(rollout=rollout) is False  # once only

    rollout.refresh_from_db()
    assert rollout.status == RolloutStatus.RUNNING
    assert rollout.started_at == at
    started = Event.objects.get(rollout=rollout, kind=EventKind.STARTED)
    assert started.reason == "scheduled start" and started.created_at == at
