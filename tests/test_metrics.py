"""rollouts/metrics.py: a snapshot as metric families, read back by Prometheus's own parser."""

import json
import math
import re
from pathlib import Path

from prometheus_client.core import CollectorRegistry
from prometheus_client.exposition import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from rollouts.metrics import ConsoleCollector, metric_families
from rollouts.selectors.metrics import MetricsSnapshot, ReadbackLag

ROOT = Path(__file__).resolve().parent.parent

EXPECTED = {
    # name as parsed (counters without _total): type
    "upswift_console_rollouts": "gauge",
    "upswift_console_stages_awaiting_approval": "gauge",
    "upswift_console_approval_wait_oldest_seconds": "gauge",
    "upswift_console_upswift_calls": "counter",
    "upswift_console_upswift_rate_limited": "counter",
    "upswift_console_api_budget_used": "gauge",
    "upswift_console_api_budget_limit": "gauge",
    "upswift_console_api_cooldown_seconds": "gauge",
    "upswift_console_stage_readback_lag_seconds": "gauge",
    "upswift_console_worker_heartbeat_age_seconds": "gauge",
    "upswift_console_workers_seen": "gauge",
    "upswift_console_notification_deliveries": "gauge",
}


def snapshot(**changes) -> MetricsSnapshot:
    fields = {
        "rollouts_by_status": {"running": 2, "completed": 5},
        "approvals_waiting": 1,
        "approval_oldest_seconds": 90.0,
        "calls": {("deploy", "succeeded", "200"): 4, ("poll", "failed", "429"): 3},
        "readback_lags": [ReadbackLag(7, 2, "Demo", 4.5)],
        "worker_heartbeat_age_seconds": 12.0,
        "workers_seen": 2,
        "deliveries": {("failed", "deadline"): 1},
        "budget": {"calls_this_minute": 9, "limit_per_minute": 60, "cooldown_seconds": 3.0},
    }
    return MetricsSnapshot(**{**fields, **changes})


def exposed(snap: MetricsSnapshot) -> dict:
    """{name: family} as a Prometheus server would read the text."""
    registry = CollectorRegistry(auto_describe=False)

    class Fixed:
        def collect(self):
            return metric_families(snap)

    registry.register(Fixed())
    text = generate_latest(registry).decode()
    return {family.name: family for family in text_string_to_metric_families(text)}


def value(family, **labels) -> float:
    (sample,) = [
        s for s in family.samples if s.labels == labels and not s.name.endswith("_created")
    ]
    return sample.value


def test_every_metric_has_its_name_type_and_help():
    families = exposed(snapshot())

    assert {name: f.type for name, f in families.items()} == EXPECTED
    assert all(len(f.documentation) > 20 for f in families.values())


def test_values_and_labels_reach_the_text():
    families = exposed(snapshot())

    assert value(families["upswift_console_rollouts"], status="running") == 2
    assert value(families["upswift_console_stages_awaiting_approval"]) == 1
    assert value(families["upswift_console_approval_wait_oldest_seconds"]) == 90
    calls = families["upswift_console_upswift_calls"]
    assert value(calls, kind="poll", state="failed", http_status="429") == 3
    assert calls.samples[0].name == "upswift_console_upswift_calls_total"
    assert value(families["upswift_console_upswift_rate_limited"]) == 3
    assert value(families["upswift_console_api_budget_used"]) == 9
    assert value(families["upswift_console_api_budget_limit"]) == 60
    assert value(families["upswift_console_api_cooldown_seconds"]) == 3
    lag = families["upswift_console_stage_readback_lag_seconds"]
    assert value(lag, rollout="7", stage="2", project="Demo") == 4.5
    assert value(families["upswift_console_worker_heartbeat_age_seconds"]) == 12
    assert value(families["upswift_console_workers_seen"]) == 2
    deliveries = families["upswift_console_notification_deliveries"]
    assert value(deliveries, state="failed", kind="deadline") == 1


def test_no_heartbeat_ever_is_infinity_and_an_unknown_budget_shape_is_zero():
    families = exposed(snapshot(worker_heartbeat_age_seconds=math.inf, budget={}))

    assert value(families["upswift_console_worker_heartbeat_age_seconds"]) == math.inf
    assert value(families["upswift_console_api_budget_used"]) == 0


def test_registering_the_collector_reads_nothing():
    """Registration happens at import time, before any database may exist."""
    assert list(ConsoleCollector().describe()) == []


def test_the_sample_dashboard_charts_every_metric_and_only_those():
    """docs/grafana-dashboard.json: each metric the endpoint exposes is on a panel, and no
    panel asks for a name the endpoint does not have (a renamed metric breaks this test)."""
    dashboard = json.loads((ROOT / "docs" / "grafana-dashboard.json").read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    used = {name for expr in exprs for name in re.findall(r"upswift_console_\w+", expr)}
    exposed_names = {
        f"{name}_total" if kind == "counter" else name for name, kind in EXPECTED.items()
    }

    assert used == exposed_names
    assert all(panel["datasource"]["uid"] == "${datasource}" for panel in dashboard["panels"])
