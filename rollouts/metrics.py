"""The console's Prometheus metrics: one custom collector that turns a database snapshot
(rollouts/selectors/metrics.py) into metric families when Prometheus scrapes.

A registry of its own, not prometheus_client's global one: the global registry's process and
GC metrics describe whichever gunicorn worker answered, which is noise for a fleet console,
and nothing here is counted in a process's memory (that would need multiprocess mode).
Counters (`*_total`) are counts of stored rows, so they only go up while rows are kept.
"""

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from rollouts.selectors.metrics import MetricsSnapshot, metrics_snapshot

PREFIX = "upswift_console_"


def _budget_figures(budget: dict) -> tuple[float, float, float]:
    """(used this window, limit, cool-down seconds) from the budget's public status."""
    used = budget.get("calls_this_minute", budget.get("used", 0)) or 0
    limit = budget.get("limit_per_minute", budget.get("limit", 0)) or 0
    return float(used), float(limit), float(budget.get("cooldown_seconds", 0) or 0)


def metric_families(snapshot: MetricsSnapshot) -> list:
    """Every metric the endpoint exposes, with its help text."""
    rollouts = GaugeMetricFamily(
        PREFIX + "rollouts",
        "Rollouts recorded, by status (every status listed, 0 included).",
        labels=["status"],
    )
    for status, n in snapshot.rollouts_by_status.items():
        rollouts.add_metric([status], n)

    waiting = GaugeMetricFamily(
        PREFIX + "stages_awaiting_approval",
        "Stages of running rollouts that wait for a person's approval now.",
        value=snapshot.approvals_waiting,
    )
    oldest = GaugeMetricFamily(
        PREFIX + "approval_wait_oldest_seconds",
        "How long the stage that has waited longest for approval has waited (0 when none "
        "waits), from when the stage before it finished.",
        value=snapshot.approval_oldest_seconds,
    )

    calls = CounterMetricFamily(
        PREFIX + "upswift_calls",
        "Upswift API calls recorded, by kind, state and HTTP status ('' when no answer came).",
        labels=["kind", "state", "http_status"],
    )
    for (kind, state, http_status), n in sorted(snapshot.calls.items()):
        calls.add_metric([kind, state, http_status], n)
    rate_limited = CounterMetricFamily(
        PREFIX + "upswift_rate_limited",
        "Upswift API calls answered 429 Too Many Requests.",
        value=snapshot.rate_limited,
    )

    used, limit, cooldown = _budget_figures(snapshot.budget)
    budget_used = GaugeMetricFamily(
        PREFIX + "api_budget_used",
        "Upswift API calls taken from the shared budget in the current window.",
        value=used,
    )
    budget_limit = GaugeMetricFamily(
        PREFIX + "api_budget_limit",
        "Upswift API calls the budget allows per window (UPSWIFT_CALLS_PER_MINUTE; 0: no limit).",
        value=limit,
    )
    budget_cooldown = GaugeMetricFamily(
        PREFIX + "api_cooldown_seconds",
        "Seconds every worker still waits after a 429 from Upswift.",
        value=cooldown,
    )

    lag = GaugeMetricFamily(
        PREFIX + "stage_readback_lag_seconds",
        "For each stage being read back (monitoring, rollout running): seconds since its last "
        "completed read-back pass (since its deploy before the first).",
        labels=["rollout", "stage", "project"],
    )
    for item in snapshot.readback_lags:
        lag.add_metric([str(item.rollout_id), str(item.position), item.project], item.seconds)

    heartbeat = GaugeMetricFamily(
        PREFIX + "worker_heartbeat_age_seconds",
        "Seconds since any Celery worker last recorded its heartbeat (+Inf: none ever did).",
        value=snapshot.worker_heartbeat_age_seconds,
    )
    workers = GaugeMetricFamily(
        PREFIX + "workers_seen",
        "Celery workers whose heartbeat is recent (the dashboard's list).",
        value=snapshot.workers_seen,
    )

    deliveries = GaugeMetricFamily(
        PREFIX + "notification_deliveries",
        "Notification deliveries (one message to one channel) by state and kind of message.",
        labels=["state", "kind"],
    )
    for (state, kind), n in sorted(snapshot.deliveries.items()):
        deliveries.add_metric([state, kind], n)

    return [
        rollouts,
        waiting,
        oldest,
        calls,
        rate_limited,
        budget_used,
        budget_limit,
        budget_cooldown,
        lag,
        heartbeat,
        workers,
        deliveries,
    ]


class ConsoleCollector(Collector):
    """Reads the database on each scrape (see the module's docstring)."""

    def collect(self):
        yield from metric_families(metrics_snapshot())

    def describe(self):
        # Registering must not query the database (it runs at import time).
        return []


registry = CollectorRegistry(auto_describe=False)
registry.register(ConsoleCollector())


def metrics_text() -> bytes:
    """The exposition text of one scrape."""
    return generate_latest(registry)
