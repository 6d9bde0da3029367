"""Adaptive polling for live fragments (healthchecks' adaptive-setinterval, done by htmx).

The page renders a poller element with the fingerprints of what it shows and an interval.
Each poll sends them back; the answer swaps (out of band) only the regions whose fingerprint
changed, and renders the next poller: back to the base interval after a change, twice as long
(up to a cap) when nothing changed, no trigger at all once the subject is finished. The
trigger fires only while the tab is visible, and once at once when it becomes visible again.
"""

from dataclasses import dataclass

from django.http import HttpRequest

POLL_BASE_SECONDS = 2
POLL_MAX_SECONDS = 30


@dataclass(frozen=True)
class Poll:
    interval: int
    changed: frozenset[str]
    fingerprints: dict[str, str]
    active: bool

    def query(self) -> str:
        parts = [f"{name}={value}" for name, value in sorted(self.fingerprints.items())]
        return "&".join([*parts, f"i={self.interval}"])


def poll_next(request: HttpRequest, *, fingerprints: dict[str, str], active: bool) -> Poll:
    """Compare the client's fingerprints with the current ones and pick the next interval."""
    changed = frozenset(n for n, v in fingerprints.items() if request.GET.get(n) != v)
    try:
        current = int(request.GET.get("i", POLL_BASE_SECONDS))
    except ValueError:
        current = POLL_BASE_SECONDS
    if changed:
        interval = POLL_BASE_SECONDS
    else:
        interval = min(max(current, POLL_BASE_SECONDS) * 2, POLL_MAX_SECONDS)
    return Poll(interval=interval, changed=changed, fingerprints=fingerprints, active=active)


def poll_first(*, fingerprints: dict[str, str], active: bool) -> Poll:
    return Poll(POLL_BASE_SECONDS, frozenset(), fingerprints, active)
