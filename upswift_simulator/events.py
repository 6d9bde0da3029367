"""A calendar queue of timed lifecycle events, cheaper than one big heap at fleet scale.

Events are tuples ``(sim_time, device_index, kind, key)``. They are bucketed by whole simulated
second; a small heap orders the buckets and each bucket is sorted (in C) only when it falls due.
Events are handed out in exact time order (ties broken by device, kind, key) as long as every
event created while handling another lies at least ``MIN_DELAY`` later, which the lifecycle
guarantees (its shortest delay is a few seconds; churn flips are clamped to one second).
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections.abc import Iterable, Iterator

Event = tuple[float, int, int, int]
MIN_DELAY = 1.0  # seconds; the bucket width


class EventQueue:
    def __init__(self) -> None:
        self._buckets: dict[int, list[Event]] = {}
        self._keys: list[int] = []
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def push(self, event: Event) -> None:
        key = int(event[0])
        bucket = self._buckets.get(key)
        if bucket is None:
            self._buckets[key] = [event]
            heapq.heappush(self._keys, key)
        else:
            bucket.append(event)
        self._size += 1

    def push_many(self, events: Iterable[Event]) -> None:
        """Same as ``push`` for each event, in one tight loop (big deploys)."""
        buckets, keys = self._buckets, self._keys
        count = 0
        for event in events:
            key = int(event[0])
            bucket = buckets.get(key)
            if bucket is None:
                buckets[key] = [event]
                heapq.heappush(keys, key)
            else:
                bucket.append(event)
            count += 1
        self._size += count

    def due(self, now: float) -> Iterator[Event]:
        """Yield every event with ``sim_time <= now`` in order; pushing meanwhile is fine."""
        keys, buckets = self._keys, self._buckets
        while keys and keys[0] <= now:
            key = keys[0]
            bucket = buckets[key]
            bucket.sort()
            if bucket[-1][0] <= now:
                heapq.heappop(keys)
                del buckets[key]
                ready = bucket
            else:
                cut = bisect_right(bucket, now, key=lambda event: event[0])
                if cut == 0:
                    return
                ready, buckets[key] = bucket[:cut], bucket[cut:]
            self._size -= len(ready)
            yield from ready
