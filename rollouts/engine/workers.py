"""Business rules that write. Views and tasks call these; they never write models directly."""

from django.utils import timezone

from rollouts.models import WorkerHeartbeat


def worker_heartbeat_record(*, hostname: str) -> WorkerHeartbeat:
    heartbeat, _ = WorkerHeartbeat.objects.update_or_create(
        hostname=hostname, defaults={"last_seen": timezone.now()}
    )
    return heartbeat
