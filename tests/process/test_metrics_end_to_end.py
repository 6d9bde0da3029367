"""/metrics while a real worker runs a rollout against the simulator: each figure is scraped
as Prometheus would (its own text parser) at three moments and matches the rows."""

from functools import partial

import pytest
from prometheus_client.parser import text_string_to_metric_families

from rollouts.models import (
    ApiCall,
    Delivery,
    DeliveryState,
    RolloutStage,
    RolloutStatus,
    StageStatus,
    WorkerHeartbeat,
)
from rollouts.services.actions import stage_approve
from tests.factories import UserFactory
from tests.notifications.conftest import webhook
from tests.notifications.receivers import http_receiver
from tests.process.helpers import start_rollout, wait_awaiting_approval, wait_status
from tests.support.processes import wait_for
from upswift_console.celery import app

pytestmark = pytest.mark.integration

TOKEN = "scraper-token-e2e"
STAGES = [
    {"target": "tag", "tag": "canary", "success_threshold": 100},
    # Soak keeps the stage monitoring (and read back) for a while: 20 one-second minutes.
    {"target": "all", "success_threshold": 100, "soak_minutes": 20},
]


def scrape(client) -> dict[str, list]:
    """{metric name: [(labels, value)]}, as the Prometheus server would read them."""
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    return {
        family.name: [(s.labels, s.value) for s in family.samples]
        for family in text_string_to_metric_families(response.content.decode())
    }


def one(samples, **labels) -> float:
    (value,) = [v for got, v in samples if got == labels]
    return value


def test_metrics_follow_a_rollout_from_approval_to_completion(
    engine_factory, client, settings, monkeypatch
):
    settings.METRICS_TOKEN = TOKEN
    manager = UserFactory(username="rm")
    with http_receiver() as receiver, engine_factory(devices=60) as engine:
        monkeypatch.setattr(
            app, "send_task", partial(app.send_task, queue=engine.env["CELERY_NOTIFY_QUEUE"])
        )
        webhook(receiver.url)
        rollout = start_rollout(user=manager, stages=STAGES)

        wait_awaiting_approval(rollout, 2, engine=engine)
        waiting = scrape(client)

        stage_approve(rollout=rollout, actor=manager, comment="canary fine")
        stage = RolloutStage.objects.get(rollout=rollout, position=2)
        wait_for(
            lambda: RolloutStage.objects.filter(
                pk=stage.pk, status=StageStatus.MONITORING, last_polled_at__isnull=False
            ).exists(),
            timeout=60,
            describe=engine.logs,
        )
        monitoring = scrape(client)

        wait_status(rollout, RolloutStatus.COMPLETED, engine=engine, timeout=120)
        wait_for(
            lambda: Delivery.objects.filter(state=DeliveryState.SUCCEEDED).count() == 2,
            timeout=60,
            describe=engine.logs,
        )
        wait_for(WorkerHeartbeat.objects.exists, timeout=60, describe=engine.logs)
        done = scrape(client)
        calls = ApiCall.objects.count()
        deploys_ok = ApiCall.objects.filter(kind="deploy", state="succeeded", http_status=200)

    # Waiting for the approval of stage 2: one running rollout, one stage waiting, a fresh wait.
    assert one(waiting["upswift_console_rollouts"], status="running") == 1
    assert one(waiting["upswift_console_stages_awaiting_approval"]) == 1
    assert 0 <= one(waiting["upswift_console_approval_wait_oldest_seconds"]) < 60
    assert waiting["upswift_console_stage_readback_lag_seconds"] == []
    calls_then = waiting["upswift_console_upswift_calls"]
    assert one(calls_then, kind="deploy", state="succeeded", http_status="200") == 1

    # Stage 2 soaking: read back every half second, so its lag is a few seconds at most.
    lag = one(
        monitoring["upswift_console_stage_readback_lag_seconds"],
        rollout=str(rollout.pk),
        stage="2",
        project="Demo",
    )
    assert 0 <= lag < 10
    assert one(monitoring["upswift_console_stages_awaiting_approval"]) == 0

    # Completed: the counts equal the rows, nothing waits, nothing is read back, no 429.
    assert one(done["upswift_console_rollouts"], status="completed") == 1
    assert one(done["upswift_console_rollouts"], status="running") == 0
    assert one(done["upswift_console_stages_awaiting_approval"]) == 0
    assert done["upswift_console_stage_readback_lag_seconds"] == []
    done_calls = done["upswift_console_upswift_calls"]
    assert sum(v for _, v in done_calls) == calls
    assert one(done_calls, kind="deploy", state="succeeded", http_status="200") == 2
    assert deploys_ok.count() == 2
    assert one(done["upswift_console_upswift_rate_limited"]) == 0
    assert sum(v for labels, v in done_calls if labels["kind"] == "poll") >= 2
    deliveries = done["upswift_console_notification_deliveries"]
    assert one(deliveries, state="succeeded", kind="approval_needed") == 1
    assert one(deliveries, state="succeeded", kind="completed") == 1
    assert 0 <= one(done["upswift_console_worker_heartbeat_age_seconds"]) < 60
    assert one(done["upswift_console_workers_seen"]) >= 1
    assert one(done["upswift_console_api_budget_limit"]) == settings.UPSWIFT_CALLS_PER_MINUTE
