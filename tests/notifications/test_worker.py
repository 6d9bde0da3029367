"""End to end through a real broker and a real Celery worker: the engine pauses a rollout, the
hook queues a task, the worker works out the message and delivers it to a receiver in this
test, trying again after a 500; the worker's log holds no secret."""

from functools import partial

import pytest

from rollouts.engine.pauses import rollout_pause_for
from rollouts.models import Delivery, DeliveryState, NotifyKind, PauseCause
from tests.factories import RolloutFactory, RolloutStageFactory
from tests.notifications.conftest import webhook
from tests.notifications.receivers import http_receiver, signature_valid
from tests.support.processes import celery_worker, wait_for
from upswift_console.celery import app

pytestmark = pytest.mark.integration


def test_a_pause_reaches_a_receiver_through_the_notifications_queue(
    worker_env, tmp_path, monkeypatch
):
    env = {**worker_env, "NOTIFY_RETRY_BASE_SECONDS": "0.2", "NOTIFY_RETRY_MAX_SECONDS": "0.4"}
    queue = env["CELERY_NOTIFY_QUEUE"]
    # This process routes by its own settings ("notifications"); send to the test's queue.
    monkeypatch.setattr(app, "send_task", partial(app.send_task, queue=queue))
    with http_receiver([500]) as receiver, celery_worker(env=env, log_dir=tmp_path) as worker:
        _, secret = webhook(receiver.url)
        rollout = RolloutFactory()
        stage = RolloutStageFactory(rollout=rollout, position=1, status="monitoring")

        rollout_pause_for(
            rollout=rollout,
            cause=PauseCause.FAILURE_THRESHOLD,
            reason="Stage 1 reached its failure threshold: 3 of 10 devices failed (30% ≥ 10%).",
            stage=stage,
        )

        delivery = wait_for(
            lambda: Delivery.objects.filter(state=DeliveryState.SUCCEEDED).first(),
            timeout=90,
            describe=worker.log,
        )
        log = worker.log()

    assert delivery.kind == NotifyKind.PAUSED and delivery.attempts == 2
    assert [r.json()["id"] for r in receiver.received] == [delivery.idempotency_key] * 2
    assert all(signature_valid(secret, r.headers, r.body) for r in receiver.received)
    assert "failure threshold" in receiver.received[-1].json()["text"]
    assert secret not in log
