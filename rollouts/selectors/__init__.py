"""Business rules that read: what each page shows, in a constant number of queries."""

from rollouts.selectors.workers import WORKER_STALE_AFTER, worker_heartbeats_recent

__all__ = ["WORKER_STALE_AFTER", "worker_heartbeats_recent"]
