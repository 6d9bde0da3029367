"""Workers seen lately (each worker records a heartbeat every 30 seconds)."""

from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from rollouts.models import WorkerHeartbeat

WORKER_STALE_AFTER = timedelta(seconds=90)


def worker_heartbeats_recent() -> QuerySet[WorkerHeartbeat]:
    """Workers seen within the last heartbeat window, newest first."""
    return WorkerHeartbeat.objects.filter(
        last_seen__gte=timezone.now() - WORKER_STALE_AFTER
    ).order_by("-last_seen")
