"""The event log and conditional transitions: a transition happens once, with its event, or
not at all; an anonymous actor is stored as nobody."""

import pytest
from django.contrib.auth.models import AnonymousUser

from rollouts.models import Event, EventKind, RolloutStatus
from rollouts.services.events import event_record, transition, transition_recorded
from tests.factories import RolloutFactory

pytestmark = pytest.mark.django_db


def test_transition_moves_only_from_an_allowed_status():
    rollout = RolloutFactory(status=RolloutStatus.RUNNING)
    stale = type(rollout).objects.get(pk=rollout.pk)  # a second reader of the same row

    assert transition(rollout, allowed=(RolloutStatus.RUNNING,), to=RolloutStatus.PAUSED)
    assert rollout.status == RolloutStatus.PAUSED
    # The second reader still believes it is running: its move is refused, nothing changes.
    assert not transition(stale, allowed=(RolloutStatus.RUNNING,), to=RolloutStatus.ABORTED)
    assert stale.status == RolloutStatus.RUNNING  # left as it was read
    rollout.refresh_from_db()
    assert rollout.status == RolloutStatus.PAUSED


def test_transition_sets_its_fields_only_when_it_happens():
    rollout = RolloutFactory(status=RolloutStatus.COMPLETED, status_reason="done")
    assert not transition(
        rollout, allowed=(RolloutStatus.RUNNING,), to=RolloutStatus.PAUSED, status_reason="x"
    )
    rollout.refresh_from_db()
    assert (rollout.status, rollout.status_reason) == (RolloutStatus.COMPLETED, "done")


def test_a_recorded_transition_writes_its_event_once():
    rollout = RolloutFactory(status=RolloutStatus.RUNNING)
    kwargs = dict(
        allowed=(RolloutStatus.RUNNING,),
        to=RolloutStatus.PAUSED,
        rollout=rollout,
        kind=EventKind.PAUSED,
        reason="look first",
    )
    assert transition_recorded(rollout, **kwargs)
    assert not transition_recorded(rollout, **kwargs)  # already paused: no second event

    event = Event.objects.get(rollout=rollout)
    assert (event.kind, event.from_status, event.to_status, event.reason) == (
        EventKind.PAUSED,
        RolloutStatus.RUNNING,
        RolloutStatus.PAUSED,
        "look first",
    )


def test_an_anonymous_actor_is_stored_as_nobody():
    rollout = RolloutFactory()
    event = event_record(rollout=rollout.pk, kind=EventKind.RESUMED, actor=AnonymousUser())
    assert event.actor is None
    assert event.details == {}
