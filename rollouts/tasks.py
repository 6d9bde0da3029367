"""Celery tasks. Each takes ids, loads rows, calls one service, and is safe to run twice."""

import logging

from celery import shared_task
from django.conf import settings

from rollouts.services import engine
from rollouts.services.workers import worker_heartbeat_record

logger = logging.getLogger(__name__)


@shared_task
def worker_heartbeat() -> None:
    """Record that a worker is alive and consuming the queue."""
    worker_heartbeat_record(hostname=worker_heartbeat.request.hostname or "unknown")


@shared_task
def rollout_advance_task(rollout_id: int) -> None:
    try:
        engine.rollout_advance(rollout_id=rollout_id)
    except Exception as exc:
        # Not retried here: the next reconcile tick runs the step again from the database.
        logger.exception("advancing rollout %s failed", rollout_id)
        engine.rollout_engine_error(rollout_id=rollout_id, exc=exc)
        raise


@shared_task
def rollouts_reconcile() -> int:
    """Beat, every few seconds: move every active rollout forward (a lost message or a dead
    worker costs one tick, never a duplicate call)."""
    rollout_ids = engine.rollouts_reconcile()
    for rollout_id in rollout_ids:
        rollout_advance_task.apply_async(
            (rollout_id,), expires=settings.ROLLOUT_RECONCILE_SECONDS * 3
        )
    return len(rollout_ids)
