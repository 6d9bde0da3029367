"""Celery tasks. Each takes ids, loads rows, calls one service, and is safe to run twice."""

from celery import shared_task

from rollouts import services


@shared_task
def worker_heartbeat() -> None:
    """Record that a worker is alive and consuming the queue."""
    services.worker_heartbeat_record(hostname=worker_heartbeat.request.hostname or "unknown")
