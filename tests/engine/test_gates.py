"""A stage's gates after each complete read-back: the failure threshold pauses, the success
threshold and soak close the stage, and a deadline passed below the success threshold asks a
person with the numbers; accepting the shortfall records them."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from rollouts.engine.calls import call_send
from rollouts.engine.gates import stage_gates, stage_numbers_sentence
from rollouts.engine.pauses import rollout_pause_for
from rollouts.engine.progress import stage_poll
from rollouts.models import EventKind, PauseCause, RolloutStatus, StageStatus
from rollouts.services.actions import stage_accept_shortfall
from rollouts.services.errors import ActionRefused
from tests.engine.scenes import begun, events, fresh, monitoring
from tests.factories import DeviceProgressFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = "2026-03-02 09:00:00Z"


def open_stage(spec=None, **counts):
    rollout, stage, _ = begun({"target": "all", **(spec or {})})
    return rollout, monitoring(stage, **counts)


@pytest.mark.parametrize(
    ("threshold", "accepted", "pauses"),
    [(20, 0, True), (21, 0, False), (20, 1, False)],
    ids=["at-threshold", "below-threshold", "one-failure-accepted"],
)
def test_the_failure_threshold_pauses_the_rollout(threshold, accepted, pauses):
    rollout, stage = open_stage(
        {"failure_threshold": threshold},
        devices_total=10,
        count_success=3,
        count_failed=1,
        count_aborted=1,
        count_pending=5,
        failures_accepted=accepted,
    )

    assert stage_gates(rollout=rollout, stage=stage) is False

    rollout.refresh_from_db()
    if pauses:
        assert (rollout.status, rollout.pause_cause) == (
            RolloutStatus.PAUSED,
            PauseCause.FAILURE_THRESHOLD,
        )
        assert rollout.status_reason == (
            "Stage 1 reached its failure threshold: 2 of 10 devices failed or aborted (20% ≥ 20%)."
        )
    else:
        assert rollout.status == RolloutStatus.RUNNING
    assert fresh(stage).status == StageStatus.MONITORING


def test_a_deadline_passed_below_the_success_threshold_asks_a_person_with_the_numbers(sim):
    sim.failure_rates(default=0.0)
    rollout, stage, call = begun(
        {"target": "groups", "groups": ["TestGroup1"], "deadline_minutes": 20}
    )
    uuids = sim.truth(project="Demo", groups=["TestGroup1"], devices=True)["device_uuids"]
    late = sorted(uuid for found in uuids.values() for uuid in found)[:3]
    sim.set_state("offline", device_uuids=late)  # they never take the update
    assert call_send(call=call, rollout=rollout, stage=stage)
    sim.advance(minutes=10)  # the others finish
    sim.set_state("online", device_uuids=late[:1])  # back, still pending (time stands still)
    assert stage_poll(rollout=rollout, stage=stage)
    assert (stage.devices_total, stage.count_success) == (9, 6)

    assert stage_gates(rollout=rollout, stage=stage) is False
    assert fresh(rollout).status == RolloutStatus.RUNNING  # before its deadline: it waits

    with time_machine.travel(stage.deadline_at + timedelta(seconds=1), tick=False):
        assert stage_gates(rollout=rollout, stage=stage) is False

    rollout.refresh_from_db()
    assert (rollout.status, rollout.pause_cause) == (RolloutStatus.PAUSED, PauseCause.DEADLINE)
    assert rollout.status_reason == (
        "Stage 1: 6 of 9 succeeded (66.7%, needs 95%); 3 pending, 2 of them offline. Its "
        "deadline of 20 minutes passed: accept and continue, retry the failed devices, wait "
        "longer (resume), or abort."
    )
    (paused,) = events(rollout, EventKind.PAUSED)
    assert paused.details["numbers"] == {
        "success": 6,
        "devices": 9,
        "percent": 66.7,
        "needs": 95,
        "failed": 0,
        "pending": 3,
        "offline": 2,
    }
    assert fresh(stage).status == StageStatus.MONITORING


def test_a_stage_that_met_its_threshold_soaks_then_closes():
    with time_machine.travel(NOW, tick=False) as clock:
        rollout, stage = open_stage({"soak_minutes": 5}, devices_total=10, count_success=10)
        start = timezone.now()

        assert stage_gates(rollout=rollout, stage=stage) is False
        stage.refresh_from_db()
        assert stage.threshold_met_at == start
        (met,) = events(rollout, EventKind.STAGE_THRESHOLD_MET)
        assert met.details == {"success": 10, "of": 10, "soak_minutes": 5}

        clock.shift(timedelta(minutes=5) - timedelta(seconds=1))
        assert stage_gates(rollout=rollout, stage=stage) is False
        assert fresh(stage).status == StageStatus.MONITORING

        clock.shift(timedelta(seconds=1))
        assert stage_gates(rollout=rollout, stage=stage) is True

    stage.refresh_from_db()
    assert stage.status == StageStatus.SUCCEEDED
    assert stage.finished_at == start + timedelta(minutes=5)
    assert len(events(rollout, EventKind.STAGE_THRESHOLD_MET)) == 1
    assert len(events(rollout, EventKind.STAGE_SUCCEEDED)) == 1


def test_a_stage_at_its_threshold_closes_even_after_its_deadline():
    rollout, stage = open_stage(devices_total=20, count_success=19, count_pending=1)
    type(stage).objects.filter(pk=stage.pk).update(deadline_at=timezone.now() - timedelta(1))

    assert stage_gates(rollout=rollout, stage=fresh(stage)) is True

    assert fresh(stage).status == StageStatus.SUCCEEDED
    assert fresh(rollout).status == RolloutStatus.RUNNING


def test_an_all_devices_stage_with_no_device_left_succeeds():
    rollout, stage = open_stage(devices_total=0)

    assert stage_gates(rollout=rollout, stage=stage) is True

    assert fresh(stage).status == StageStatus.SUCCEEDED
    (event,) = events(rollout, EventKind.STAGE_SUCCEEDED)
    assert event.reason == "no device matched"


def test_a_tag_stage_that_reached_no_device_goes_back_to_not_started_and_pauses():
    rollout, stage, _ = begun({"target": "tag", "tag": "no-such-tag"})
    stage = monitoring(stage, devices_total=0)

    assert stage_gates(rollout=rollout, stage=stage) is False

    rollout.refresh_from_db()
    assert (rollout.status, rollout.pause_cause) == (RolloutStatus.PAUSED, PauseCause.REJECTED)
    assert "reached no device" in rollout.status_reason
    stage.refresh_from_db()
    assert (stage.status, stage.cohort, stage.deployed_at) == (StageStatus.PENDING, {}, None)


# --- accepting a shortfall ----------------------------------------------------------------


def short_of_threshold():
    """A rollout paused at its stage's deadline: 8 of 10 succeeded, 1 failed, 1 pending."""
    rollout, stage = open_stage(devices_total=10, count_success=8, count_failed=1, count_pending=1)
    for n in range(8):
        DeviceProgressFactory(stage=stage, device_uuid=f"d-ok-{n}", status="success")
    DeviceProgressFactory(stage=stage, device_uuid="d-bad", status="failed")
    DeviceProgressFactory(stage=stage, device_uuid="d-late", status="pending", online=False)
    assert rollout_pause_for(rollout=rollout, cause=PauseCause.DEADLINE, reason="deadline")
    return fresh(rollout), stage


@pytest.mark.parametrize("reason", ["", "   "])
def test_accepting_a_shortfall_needs_a_reason(reason):
    rollout, stage = short_of_threshold()

    with pytest.raises(ActionRefused) as refused:
        stage_accept_shortfall(rollout=rollout, actor=UserFactory(), reason=reason)

    assert (refused.value.code, refused.value.field) == ("invalid", "reason")
    assert fresh(stage).status == StageStatus.MONITORING
    assert fresh(rollout).status == RolloutStatus.PAUSED


def test_accepting_a_shortfall_closes_the_stage_with_the_numbers_and_goes_on():
    rollout, stage = short_of_threshold()
    manager = UserFactory()

    stage_accept_shortfall(rollout=rollout, actor=manager, reason="the last one is in a lab")

    stage.refresh_from_db()
    assert stage.status == StageStatus.SUCCEEDED
    assert stage.shortfall_accepted_by == manager
    assert stage.shortfall_accepted_at is not None
    assert stage.shortfall_reason == "the last one is in a lab"
    (accepted,) = events(rollout, EventKind.SHORTFALL_ACCEPTED)
    assert accepted.actor == manager
    assert accepted.details["numbers"] == {
        "success": 8,
        "devices": 10,
        "percent": 80.0,
        "needs": 95,
        "failed": 1,
        "pending": 1,
        "offline": 1,
    }
    (closed,) = events(rollout, EventKind.STAGE_SUCCEEDED)
    assert closed.reason == "Accepted below its threshold: the last one is in a lab"
    assert fresh(rollout).status == RolloutStatus.RUNNING


def test_a_stage_that_met_its_threshold_is_no_shortfall_to_accept():
    rollout, stage = open_stage(devices_total=10, count_success=10)
    assert rollout_pause_for(rollout=rollout, cause=PauseCause.PERSON, reason="a look")

    with pytest.raises(ActionRefused) as refused:
        stage_accept_shortfall(rollout=fresh(rollout), actor=UserFactory(), reason="why not")

    assert refused.value.code == "conflict"
    assert fresh(stage).shortfall_reason == ""


def test_the_numbers_never_claim_devices_offline_when_their_state_could_not_be_read():
    _, stage = open_stage(devices_total=20, count_success=15, count_pending=5)
    numbers = {
        "success": 15,
        "devices": 20,
        "percent": 75.0,
        "needs": 95,
        "failed": 0,
        "pending": 5,
        "offline": None,
    }

    sentence = stage_numbers_sentence(stage, numbers)

    assert sentence.endswith("5 pending (whether they are online is unknown)")
    assert "offline" not in sentence
