"""One worker steps a rollout at a time: it holds the rollout's lease for the step, another
worker's step returns at once, and the lease is given back however the step ends."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from rollouts.engine import outbox
from rollouts.engine import steps as engine
from rollouts.engine.steps import lease_acquire, rollout_advance
from rollouts.models import CallKind, Rollout, RolloutStatus, StageStatus
from tests.engine.scenes import fresh, sim_deploys, started

pytestmark = pytest.mark.django_db

NOW = "2026-03-02 09:00:00Z"


def lease_of(rollout) -> tuple[str, object]:
    return tuple(Rollout.objects.filter(pk=rollout.pk).values_list("lease_owner", "lease_until")[0])


def test_a_lease_is_exclusive_until_it_expires(settings):
    settings.ROLLOUT_STEP_TIME_LIMIT = 60
    with time_machine.travel(NOW, tick=False) as clock:
        rollout, _ = started([{"target": "all"}])
        now = timezone.now()

        assert lease_acquire(rollout_id=rollout.pk, owner="worker-a")
        assert not lease_acquire(rollout_id=rollout.pk, owner="worker-b")
        assert not lease_acquire(rollout_id=rollout.pk, owner="worker-a")  # not re-entrant
        assert lease_of(rollout) == ("worker-a", now + timedelta(seconds=65))

        clock.shift(timedelta(seconds=65))
        assert not lease_acquire(rollout_id=rollout.pk, owner="worker-b")  # not yet past it
        clock.shift(timedelta(seconds=1))
        assert lease_acquire(rollout_id=rollout.pk, owner="worker-b")  # worker-a is gone

    assert lease_of(rollout)[0] == "worker-b"


def test_a_step_while_another_worker_holds_the_lease_does_nothing(sim):
    rollout, (stage,) = started([{"target": "all"}])
    assert lease_acquire(rollout_id=rollout.pk, owner="other-worker")
    held = lease_of(rollout)

    assert rollout_advance(rollout_id=rollout.pk) is False

    assert lease_of(rollout) == held  # still the other worker's
    assert fresh(stage).status == StageStatus.PENDING
    assert not stage.api_calls.exists()
    assert sim.calls() == []


def test_a_step_holds_the_lease_while_it_works_and_gives_it_back(sim, monkeypatch):
    rollout, (stage,) = started([{"target": "all"}])
    seen = []
    real = outbox.calls_send_due

    def send_due(**kwargs):
        seen.append(lease_of(rollout))
        return real(**kwargs)

    monkeypatch.setattr(outbox, "calls_send_due", send_due)

    assert rollout_advance(rollout_id=rollout.pk) is True

    assert seen and all(owner and until for owner, until in seen)
    assert lease_of(rollout) == ("", None)
    assert fresh(stage).status == StageStatus.MONITORING  # began, deployed
    assert len(sim_deploys(sim)) == 1
    # the first read-back waits two intervals after the deploy (engine/read_schedule.py)
    assert not stage.api_calls.filter(kind=CallKind.POLL).exists()


def test_the_lease_is_given_back_when_a_step_crashes(monkeypatch):
    rollout, _ = started([{"target": "all"}])

    def crash(rollout):
        raise RuntimeError("database went away")

    monkeypatch.setattr(engine, "_step", crash)
    with pytest.raises(RuntimeError):
        rollout_advance(rollout_id=rollout.pk)

    assert lease_of(rollout) == ("", None)


def test_an_expired_lease_of_a_dead_worker_is_taken_over(sim):
    rollout, (stage,) = started([{"target": "all"}])
    Rollout.objects.filter(pk=rollout.pk).update(
        lease_owner="dead-worker", lease_until=timezone.now() - timedelta(seconds=1)
    )

    assert rollout_advance(rollout_id=rollout.pk) is True

    assert lease_of(rollout) == ("", None)
    assert fresh(stage).status == StageStatus.MONITORING
    assert len(sim_deploys(sim)) == 1


def test_a_step_gives_back_only_its_own_lease(monkeypatch):
    """A step that outlived its lease must not release the lease another worker took since."""
    rollout, _ = started([{"target": "all"}])

    def slow_step(rollout):
        Rollout.objects.filter(pk=rollout.pk).update(
            lease_owner="next-worker", lease_until=timezone.now() + timedelta(minutes=2)
        )
        return False

    monkeypatch.setattr(engine, "_step", slow_step)

    assert rollout_advance(rollout_id=rollout.pk) is True

    assert lease_of(rollout)[0] == "next-worker"
    assert fresh(rollout).status == RolloutStatus.RUNNING
