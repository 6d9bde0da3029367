"""The live page's change stamp: it moves with anything the live regions show, and only then."""

import pytest
from django.db.models import F
from django.http import Http404
from django.utils import timezone

from rollouts.models import ApiCall, Rollout, RolloutStage
from rollouts.selectors.stamp import STAMP_SECONDS, period, rollout_stamp
from tests.factories import ApiCallFactory, EventFactory, RolloutFactory, RolloutStageFactory

pytestmark = pytest.mark.django_db
NOW = 1_000_000 * STAMP_SECONDS


@pytest.fixture
def rollout():
    rollout = RolloutFactory()
    RolloutStageFactory(rollout=rollout, position=1, status="monitoring")
    RolloutStageFactory(rollout=rollout, position=2)
    ApiCallFactory(rollout=rollout, state="queued", sent_at=None, completed_at=None)
    return rollout


def stamp(rollout, now=None):
    """The stamp at `now`, by default the first second of the rollout's current period."""
    start = NOW - rollout.pk % STAMP_SECONDS
    return rollout_stamp(rollout_id=rollout.pk, now=start if now is None else now)


def test_nothing_changed_keeps_the_stamp_within_its_period(rollout):
    start = NOW - rollout.pk % STAMP_SECONDS
    assert stamp(rollout) == stamp(rollout) == stamp(rollout, start + STAMP_SECONDS - 1)
    assert stamp(rollout, start - 1) != stamp(rollout)


def test_time_alone_moves_it_once_a_period(rollout):
    start = NOW - rollout.pk % STAMP_SECONDS
    assert stamp(rollout, start + STAMP_SECONDS) != stamp(rollout)


def test_open_pages_do_not_all_turn_at_the_same_second():
    """200 rollouts' periods start on every second of the 30, ~7 a second, not 200 at once."""
    turns = [
        sum(period(pk, second) != period(pk, second - 1) for pk in range(1, 201))
        for second in range(NOW, NOW + STAMP_SECONDS)
    ]
    assert sum(turns) == 200
    assert max(turns) <= -(-200 // STAMP_SECONDS)


@pytest.mark.parametrize(
    "change",
    [
        lambda r: Rollout.objects.filter(pk=r.pk).update(status="paused"),
        lambda r: Rollout.objects.filter(pk=r.pk).update(last_error="Upswift answered 500"),
        lambda r: EventFactory(rollout=r, kind="stage_started"),
        lambda r: ApiCallFactory(rollout=r, kind="poll"),
        lambda r: ApiCall.objects.filter(rollout=r).update(sent_at=timezone.now()),
        lambda r: ApiCall.objects.filter(rollout=r).update(completed_at=timezone.now()),
        lambda r: RolloutStage.objects.filter(rollout=r, position=1).update(
            count_success=F("count_success") + 1
        ),
        lambda r: RolloutStage.objects.filter(rollout=r, position=2).update(
            approved_at=timezone.now()
        ),
    ],
    ids=[
        "status",
        "error",
        "event",
        "call",
        "call sent",
        "call answered",
        "stage count",
        "approval",
    ],
)
def test_each_change_the_live_regions_show_moves_it(rollout, change):
    before = stamp(rollout)
    change(rollout)
    assert stamp(rollout) != before


def test_a_change_to_another_rollout_does_not_move_it(rollout):
    before = stamp(rollout)
    other = RolloutFactory()
    RolloutStageFactory(rollout=other, position=1)
    EventFactory(rollout=other)
    ApiCallFactory(rollout=other)
    assert stamp(rollout) == before


def test_an_unknown_rollout_is_404(rollout):
    with pytest.raises(Http404):
        rollout_stamp(rollout_id=rollout.pk + 1000)
