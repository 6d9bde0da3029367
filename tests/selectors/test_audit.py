"""The audit record in words, and the event export's day range."""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from rollouts.engine.passes import pass_begin_retry
from rollouts.models import Rollout, RolloutStatus
from rollouts.selectors.audit import (
    approvals_text,
    approvers_text,
    events_in_range,
    evidence_text,
    stage_lines,
    with_record,
)
from tests.factories import EventFactory
from tests.support.console_data import rollout_built

pytestmark = pytest.mark.django_db

EVIDENCE = {
    "stage": {"position": 2, "devices": 40},
    "earlier": [
        {
            "position": 1,
            "succeeded": 3,
            "devices": 11,
            "failed": 8,
            "pending": 0,
            "not_reached": 0,
            "threshold_met": False,
            "passes_text": "first pass 3/11 succeeded, 8 failed; retry 8/8 succeeded",
            "shortfall": {"by": "otto", "reason": "known flaky"},
        }
    ],
}


def test_the_evidence_in_one_line():
    assert evidence_text(EVIDENCE) == (
        "start stage 2 (40 devices); stage 1 3/11 succeeded, 8 failed, 0 pending, 0 not "
        "reached, threshold not met [first pass 3/11 succeeded, 8 failed; retry 8/8 "
        "succeeded], shortfall accepted by otto"
    )
    assert evidence_text(None) == "no evidence kept"


def test_a_rollout_record_has_approvers_approvals_and_stage_counts_with_passes(
    release_manager, django_assert_num_queries
):
    rollout = rollout_built(user=release_manager, status=RolloutStatus.PAUSED, devices=6)
    stage = rollout.stages.get(position=2)
    pass_begin_retry(stage=stage, actor=release_manager)
    EventFactory(
        rollout=rollout,
        stage=stage,
        kind="stage_approved",
        actor=release_manager,
        reason="go",
        details={"evidence": EVIDENCE},
    )

    with django_assert_num_queries(4):  # the rollout, its stages, their passes, its approvals
        found = list(with_record(Rollout.objects.filter(pk=rollout.pk)))[0]
        lines, approvers, approvals = (
            stage_lines(found),
            approvers_text(found),
            approvals_text(found),
        )

    assert approvers == "stage 1: rita; stage 2: rita"
    assert approvals.startswith("stage 2 by rita at ")
    assert approvals.endswith('"go": ' + evidence_text(EVIDENCE))
    assert lines.split(" | ")[1] == (
        "2 Europe: monitoring, 10 devices, 6 succeeded, 1 failed, 3 pending, 0 not reached "
        "(first pass 6/10 succeeded, 1 failed, 3 pending; retry 0/1 succeeded, 1 failed, "
        "3 pending)"
    )


def test_the_event_range_takes_whole_days_both_included(release_manager):
    rollout = rollout_built(user=release_manager, events=0, calls=0)
    zone = timezone.get_default_timezone()
    day = date(2026, 3, 10)
    at = {
        "before": datetime(2026, 3, 9, 23, 59, 59, tzinfo=zone),
        "first": datetime(2026, 3, 10, 0, 0, tzinfo=zone),
        "last": datetime(2026, 3, 11, 23, 59, 59, tzinfo=zone),
        "after": datetime(2026, 3, 12, 0, 0, tzinfo=zone),
    }
    made = {}
    for name, when in at.items():
        made[name] = EventFactory(rollout=rollout, kind="sweep", reason=name)
        type(made[name]).objects.filter(pk=made[name].pk).update(created_at=when)

    found = events_in_range(since=day, until=day + timedelta(days=1))

    assert [e.reason for e in found] == ["first", "last"]
    assert events_in_range(since=day, until=None).filter(reason="after").exists()
