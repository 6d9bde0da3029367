"""When a stage is read back: as its devices move (adaptive read-back), never while the budget
is spent (such a tick records nothing), and an idle stage leaves the last calls to moving ones."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from rollouts.engine import progress, read_schedule
from rollouts.engine.budget import budget_acquire
from rollouts.engine.outbox import calls_send_due
from rollouts.engine.steps import rollout_advance, stage_begin
from rollouts.models import ApiCall, CallKind, PauseCause, RolloutStage, RolloutStatus
from rollouts.services.actions import rollout_create, rollout_start
from rollouts.services.plans import plan_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def monitoring(sim, **stage):
    user = UserFactory()
    plan = plan_create(name="p", project="Demo", stages=[{"target": "all", **stage}], actor=user)
    rollout = rollout_create(
        plan=plan, flow_id="f", app_name="default_app", app_version="v7", actor=user
    )
    rollout_start(rollout=rollout, actor=user)
    stage = rollout.stages.get()
    assert stage_begin(rollout=rollout, stage=stage, earlier=[])
    assert calls_send_due(rollout=rollout, stage=stage)
    # deployed a minute ago: the first read is due (adaptive read-back waits after a deploy)
    RolloutStage.objects.filter(pk=stage.pk).update(
        started_at=timezone.now() - timedelta(minutes=1)
    )
    stage.refresh_from_db()
    return rollout, stage


def polls(rollout):
    return ApiCall.objects.filter(rollout=rollout, kind=CallKind.POLL)


def test_ticks_while_the_budget_is_spent_read_nothing_and_record_nothing(sim, settings):
    rollout, stage = monitoring(sim, success_threshold=100)
    settings.UPSWIFT_CALLS_PER_MINUTE = 1
    cache.clear()
    assert budget_acquire() == 0  # another rollout took the window's one call
    calls_before = len(sim.calls())

    assert read_schedule.stage_read_due(stage) == read_schedule.HELD
    for _ in range(5):
        rollout_advance(rollout_id=rollout.pk)

    assert not polls(rollout).exists()
    assert len(sim.calls()) == calls_before
    cache.clear()  # the window moved on
    settings.UPSWIFT_CALLS_PER_MINUTE = 10
    assert read_schedule.stage_read_due(stage) == read_schedule.READ
    rollout_advance(rollout_id=rollout.pk)
    assert polls(rollout).count() == 1
    stage.refresh_from_db()
    assert stage.last_polled_at is not None


def test_a_read_is_not_due_before_the_interval_unless_a_pass_is_unfinished(sim, settings):
    _, stage = monitoring(sim)
    settings.ROLLOUT_POLL_SECONDS = 10
    stage.last_polled_at = timezone.now() - timedelta(seconds=3)

    assert read_schedule.stage_read_due(stage) == read_schedule.WAIT
    stage.poll_cursor = {"pass": "progress", "scope": 0, "offset": 100}
    assert read_schedule.stage_read_due(stage) == read_schedule.READ
    stage.poll_cursor = {}
    stage.last_polled_at = timezone.now() - timedelta(seconds=10)
    assert read_schedule.stage_read_due(stage) == read_schedule.READ


def test_the_deadline_still_holds_while_the_budget_holds_the_reads(sim, settings):
    rollout, stage = monitoring(sim, success_threshold=100)
    assert progress.stage_poll(rollout=rollout, stage=stage)  # nothing done yet (time stands)
    RolloutStage.objects.filter(pk=stage.pk).update(
        deadline_at=timezone.now() - timedelta(seconds=1),
        last_polled_at=timezone.now() - timedelta(minutes=1),
    )
    settings.UPSWIFT_CALLS_PER_MINUTE = 1
    cache.clear()
    assert budget_acquire() == 0
    before = polls(rollout).count()

    rollout_advance(rollout_id=rollout.pk)

    rollout.refresh_from_db()
    assert (rollout.status, rollout.pause_cause) == (RolloutStatus.PAUSED, PauseCause.DEADLINE)
    assert polls(rollout).count() == before


# --- adaptive read-back: the plan (pure), then its timing and fairness


BASE = 10.0


def plan(previous, current, *, needed=95, last=BASE):
    return read_schedule.next_interval(
        base=BASE,
        previous=read_schedule.Sample(*previous),
        current=read_schedule.Sample(*current),
        needed=needed,
        last_interval=last,
    )


def test_reads_thin_out_far_from_the_threshold_and_close_in_near_it():
    far = plan((0, 0, ()), (20, 5, (100, 90, 5, 5)))  # 5 a 20 s: 90 more take 360 s
    near = plan((40, 80, (1,)), (50, 92, (2,)))  # 12 in 10 s: 3 more take 2.5 s

    assert far == 3 * BASE  # the longest wait
    assert near == BASE / 2  # the shortest
    assert plan((40, 50, (1,)), (50, 70, (2,))) == pytest.approx(6.25)  # 25 more at 2/s: half


def test_nothing_moving_backs_off_and_moving_without_successes_reads_each_interval():
    still = (100, 100, 0, 0, 0, 0, 0)
    assert plan((0, 0, still), (10, 0, still), last=BASE) == 2 * BASE
    assert plan((0, 0, still), (20, 0, still), last=2 * BASE) == 3 * BASE  # capped
    starting = (100, 60, 40, 0, 0, 0, 0)
    assert plan((0, 0, still), (10, 0, starting), last=3 * BASE) == BASE
    assert plan((0, 95, still), (10, 95, still), last=3 * BASE) == BASE  # threshold met


@pytest.fixture
def local_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    settings.ROLLOUT_POLL_SECONDS = BASE
    settings.UPSWIFT_CALLS_PER_MINUTE = 10


def stage_at(**fields):
    from tests.factories import RolloutStageFactory

    return RolloutStageFactory(**{"status": "monitoring", "success_threshold": 95, **fields})


def test_the_first_read_waits_two_intervals_after_the_deploy(local_cache):
    now = timezone.now()
    stage = stage_at(started_at=now - timedelta(seconds=5))
    assert read_schedule.stage_read_due(stage) == read_schedule.WAIT
    stage.started_at = now - timedelta(seconds=2 * BASE)
    assert read_schedule.stage_read_due(stage) == read_schedule.READ
    no_threshold = stage_at(started_at=now, success_threshold=0)
    assert read_schedule.stage_read_due(no_threshold) == read_schedule.READ  # met by one read


def test_a_read_plans_the_next_and_a_slow_stage_is_read_less_often(local_cache, time_machine):
    time_machine.move_to("2026-11-30 10:00:00Z", tick=False)
    start = timezone.now()
    stage = stage_at(started_at=start - timedelta(seconds=20), devices_total=100)
    stage.count_success, stage.count_in_progress, stage.last_polled_at = 5, 40, start

    interval = read_schedule.stage_read_recorded(stage)  # 5 in 20 s: far from 95

    assert interval == 3 * BASE
    time_machine.move_to(start + timedelta(seconds=BASE))
    assert read_schedule.stage_read_due(stage) == read_schedule.WAIT  # fixed polling would read
    time_machine.move_to(start + timedelta(seconds=3 * BASE))
    assert read_schedule.stage_read_due(stage) == read_schedule.READ


def test_the_deadline_comes_before_a_long_wait(local_cache, time_machine):
    time_machine.move_to("2026-11-30 10:00:00Z", tick=False)
    now = timezone.now()
    stage = stage_at(
        started_at=now - timedelta(seconds=20),
        devices_total=100,
        deadline_at=now + timedelta(seconds=12),
    )
    stage.count_success, stage.last_polled_at = 1, now

    assert read_schedule.stage_read_recorded(stage) == pytest.approx(12)


def test_an_idle_stage_leaves_the_last_calls_to_a_moving_one(local_cache, time_machine):
    time_machine.move_to("2026-11-30 10:00:00Z", tick=False)
    now = timezone.now()
    idle = stage_at(started_at=now - timedelta(minutes=5), devices_total=100, last_polled_at=now)
    moving = stage_at(started_at=now - timedelta(minutes=5), devices_total=100, last_polled_at=now)
    for stage in (idle, moving):
        read_schedule.stage_read_recorded(stage)  # the first reads: both moved (from nothing)
    moving.count_in_progress = 30  # devices started on `moving`; nothing on `idle`
    time_machine.move_to(now + timedelta(seconds=BASE))
    for stage in (idle, moving):
        stage.last_polled_at = timezone.now()
        read_schedule.stage_read_recorded(stage)
    for _ in range(9):  # 9 of the 10 calls of the window taken by others
        assert budget_acquire() == 0
    time_machine.move_to(now + timedelta(minutes=2))
    # the calls taken two minutes ago have left the window; take 9 again
    for _ in range(9):
        assert budget_acquire() == 0

    assert read_schedule.stage_read_due(moving) == read_schedule.READ
    assert read_schedule.stage_read_due(idle) == read_schedule.HELD


def test_without_adaptive_reads_every_interval_as_before(local_cache, settings, time_machine):
    settings.ROLLOUT_ADAPTIVE_READS = False
    time_machine.move_to("2026-11-30 10:00:00Z", tick=False)
    now = timezone.now()
    stage = stage_at(started_at=now, devices_total=100)
    assert read_schedule.stage_read_due(stage) == read_schedule.READ  # at once after deploy
    stage.count_success, stage.last_polled_at = 1, now
    assert read_schedule.stage_read_recorded(stage) == BASE
    time_machine.move_to(now + timedelta(seconds=BASE))
    assert read_schedule.stage_read_due(stage) == read_schedule.READ
