"""The lifecycle's calendar queue hands events out in exact time order (in-process, no HTTP)."""

from __future__ import annotations

import random

from upswift_simulator.events import MIN_DELAY, EventQueue


def test_due_events_come_out_in_order_and_later_ones_stay() -> None:
    rng = random.Random(1)
    events = [(rng.uniform(0, 100), rng.randrange(50), rng.randrange(3), i) for i in range(2000)]
    queue = EventQueue()
    queue.push_many(events)

    first = list(queue.due(40.5))
    rest = list(queue.due(1000))

    assert first == sorted(e for e in events if e[0] <= 40.5)
    assert rest == sorted(e for e in events if e[0] > 40.5)
    assert len(queue) == 0


def test_events_pushed_while_draining_are_delivered_in_order() -> None:
    queue = EventQueue()
    queue.push((0.5, 0, 0, 0))
    seen = []

    for event in queue.due(10.0):
        seen.append(event[0])
        if event[0] + MIN_DELAY <= 12:
            queue.push((event[0] + MIN_DELAY, 0, 0, 0))

    assert seen == [0.5 + n * MIN_DELAY for n in range(10)]
    assert len(queue) == 1  # 10.5 is not due yet
