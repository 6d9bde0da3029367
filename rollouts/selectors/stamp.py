"""The rollout page's change stamp: what lets a poll that finds nothing new skip the page.

Every open rollout page asks for its live fragment every few seconds, so this is the query a
busy console runs most. It is one round trip of hand-written SQL, not the ORM: building the
equivalent queryset (four correlated subqueries, then the stages) cost more CPU than running it,
which on a 2-core server with 200 open pages was most of each poll's time
(docs/benchmarks.md, "Live pages under load"). The SQL is plain enough for PostgreSQL and
SQLite alike; table and column names come from the models.
"""

import hashlib
import time
from functools import cache

from django.db import connection
from django.http import Http404

from rollouts.models import ApiCall, Event, Rollout, RolloutStage

STAMP_SECONDS = 30  # the longest a page shows what only time moves ("3 min ago", a freeze)

ROLLOUT_COLUMNS = ("status", "status_reason", "last_error", "pause_cause")
STAGE_COLUMNS = (
    "status",
    "last_error",
    "approved_at",
    "devices_total",
    "count_success",
    "count_failed",
    "count_pending",
    "count_in_progress",
    "count_aborted",
    "count_not_reached",
    "last_polled_at",
    "deadline_at",
    "threshold_met_at",
    "position",
)


def _column(model, name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


@cache
def _sql() -> str:
    """The rollout's own columns, the newest event and call, the calls' latest send and answer,
    and each stage's row (one row per stage; a rollout always has stages)."""
    rollout_fk = {model: _column(model, "rollout") for model in (Event, ApiCall)}
    pk, stage_fk = _column(Rollout, "id"), _column(RolloutStage, "rollout")

    # Every name below comes from the models' metadata, never from a request; the rollout's id
    # is a query parameter.
    def latest(model, aggregate: str) -> str:
        table = _table(model)
        return f"(SELECT {aggregate} FROM {table} WHERE {rollout_fk[model]} = r.{pk})"  # noqa: S608

    columns = [f"r.{_column(Rollout, name)}" for name in ROLLOUT_COLUMNS]
    columns += [
        latest(Event, f"MAX({_column(Event, 'id')})"),
        latest(ApiCall, f"MAX({_column(ApiCall, 'id')})"),
        latest(ApiCall, f"MAX({_column(ApiCall, 'sent_at')})"),
        latest(ApiCall, f"MAX({_column(ApiCall, 'completed_at')})"),
    ]
    columns += [f"s.{_column(RolloutStage, name)}" for name in STAGE_COLUMNS]
    return (
        f"SELECT {', '.join(columns)} FROM {_table(Rollout)} r "  # noqa: S608
        f"LEFT JOIN {_table(RolloutStage)} s ON s.{stage_fk} = r.{pk} "
        f"WHERE r.{pk} = %s ORDER BY s.{_column(RolloutStage, 'position')}"
    )


def rollout_stamp(*, rollout_id: int, now: float | None = None) -> str:
    """A cheap over-approximation of the live page's fingerprints (one query, no page built):
    it changes whenever anything the live regions show may have changed — the rollout's row, a
    new event or call, a call sent or answered, a stage's row — and at least every STAMP_SECONDS
    for what only time or another table moves (a freeze window, the kill switch). While it is
    unchanged, a poll is answered without building or rendering the page.
    Raises Http404 for an unknown rollout."""
    now = time.time() if now is None else now
    with connection.cursor() as cursor:
        cursor.execute(_sql(), [rollout_id])
        rows = cursor.fetchall()
    if not rows:
        raise Http404("No such rollout.")
    digest = hashlib.sha1(repr((rows, period(rollout_id, now))).encode(), usedforsecurity=False)
    return digest.hexdigest()[:16]


def period(rollout_id: int, now: float) -> int:
    """The STAMP_SECONDS period `now` falls in, for this rollout. Each rollout's periods start
    at its own second: were they all to turn at :00 and :30, every open page would be built at
    once twice a minute, and the polls queued behind them would wait (the tail of the load
    benchmark was exactly that)."""
    return int((now + rollout_id % STAMP_SECONDS) // STAMP_SECONDS)
