"""Celery tasks. Each takes ids, loads rows, calls one service, and is safe to run twice."""

import logging

from celery import shared_task
from django.conf import settings

from rollouts.engine import steps as engine
from rollouts.engine.workers import worker_heartbeat_record

logger = logging.getLogger(__name__)


@shared_task
def worker_heartbeat() -> None:
    """Record that a worker is alive and consuming the queue."""
    worker_heartbeat_record(hostname=worker_heartbeat.request.hostname or "unknown")


# A person's action enqueues a step; when another worker is mid-step on the rollout, look again
# shortly rather than wait for the next reconcile tick.
BUSY_RETRIES = 3


@shared_task
def rollout_advance_task(rollout_id: int, busy_retries: int = BUSY_RETRIES) -> None:
    try:
        stepped = engine.rollout_advance(rollout_id=rollout_id)
    except Exception as exc:
        # Not retried here: the next reconcile tick runs the step again from the database.
        logger.exception("advancing rollout %s failed", rollout_id)
        engine.rollout_engine_error(rollout_id=rollout_id, exc=exc)
        raise
    if not stepped and busy_retries > 0:
        rollout_advance_task.apply_async((rollout_id, busy_retries - 1), countdown=1)


@shared_task
def rollouts_reconcile() -> int:
    """Beat, every few seconds: move every active rollout forward (a lost message or a dead
    worker costs one tick, never a duplicate call)."""
    rollout_ids = engine.rollouts_reconcile()
    for rollout_id in rollout_ids:
        rollout_advance_task.apply_async(
            (rollout_id, 0), expires=settings.ROLLOUT_RECONCILE_SECONDS * 3
        )
    return len(rollout_ids)
