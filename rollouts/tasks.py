"""Celery tasks. Each takes ids, loads rows, calls one service, and is safe to run twice."""

import logging

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

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
# SQLite (a laptop): a write that waited the whole busy timeout for another process's lock.
# Every step is safe to run again, so it runs again shortly; it is not an engine error.
LOCK_RETRIES = 5
LOCK_RETRY_SECONDS = 2


def database_locked(exc: BaseException) -> bool:
    return isinstance(exc, OperationalError) and "database is locked" in str(exc)


@shared_task
def rollout_advance_task(
    rollout_id: int, busy_retries: int = BUSY_RETRIES, lock_retries: int = LOCK_RETRIES
) -> None:
    try:
        stepped = engine.rollout_advance(rollout_id=rollout_id)
    except Exception as exc:
        if database_locked(exc) and lock_retries > 0:
            logger.warning(
                "rollout %s: %s; stepping again in %s s", rollout_id, exc, LOCK_RETRY_SECONDS
            )
            rollout_advance_task.apply_async(
                (rollout_id, busy_retries, lock_retries - 1), countdown=LOCK_RETRY_SECONDS
            )
            return
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


@shared_task
def fleet_refresh(project: str | None = None) -> dict:
    """Beat, every FLEET_REFRESH_SECONDS: go on with the fleet inventory reads that are due
    (or read `project` now, for "Refresh now"). One at a time: a second run finds the lock."""
    from django.core.cache import cache

    from rollouts.engine.inventory import inventory_refresh, inventory_refresh_due

    if not cache.add("fleet:refresh-lock", 1, timeout=settings.ROLLOUT_STEP_TIME_LIMIT):
        return {}
    try:
        if project:
            return {project: inventory_refresh(project=project)}
        return inventory_refresh_due()
    finally:
        cache.delete("fleet:refresh-lock")
