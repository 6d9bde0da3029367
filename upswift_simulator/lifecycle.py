"""How updates progress over simulated time, and how devices come and go.

Lazy and event-driven: a queue of timed events ``(sim_time, device_index, kind, key)``
(``events.py``) is drained up to "now" before every request (and by a background ticker when
time runs by itself). Nothing is done per device per tick, so 100,000 idle devices cost nothing.

Per update (inferred from the platform docs, see ``docs/upswift-api.md``):
- a deploy appends a ``pending`` update to every matched device;
- an online device without the update trigger picks it up at its next keep-alive
  (5-60 simulated seconds) and it becomes ``in_progress``;
- it runs 1-5 simulated minutes and ends ``success`` or ``failed`` (failure rate: default,
  per group or per tag, see ``FailureRates``); success sets the device's app version;
- an offline device, or one with the update trigger set, keeps it ``pending``; it starts
  once the device is online and the trigger is cleared;
- an update already ``in_progress`` runs to its end even if the device drops offline or the
  trigger is set meanwhile (the flow is already executing on the device);
- INFERRED (not documented): a newer deploy to a device whose last update is still pending
  or in progress aborts that older update (status ``aborted``): a device runs one update
  flow at a time, and "aborted" is documented as "cancelled before or while applying".

Every random draw is a hash of (seed, device index, update id or flip count, purpose), see
``rng.py``, so an update's timing and outcome do not depend on the order in which concurrent
requests were handled. (Update ids themselves follow the order in which deploys reach the
devices: the order of deploy calls, unless a deploy is made visible late.)

Deploys visible late (``visible_after`` fault option, ``--deploy-visible-after``): the deploy
is accepted and its device set chosen when the call is carried out, but the pending updates
are appended to those devices only ``visible_after`` seconds of REAL time later (real time,
so it works with frozen simulated time too). Until then no read call, ``/_sim/device`` or
``/_sim/truth`` shows them; ``truth`` is what the devices show. At that moment the update is
applied like a fresh deploy (it aborts an update still active on the device then, and its
timing starts from then); its ``deployment_schedule_time`` is the simulated time of the call.
It is applied by the first catch-up after it is due (every request, and the ticker when time
runs), at the simulated time that corresponds to its real due instant (never before an
already handled event). A reset drops deploys not yet visible.
"""

from __future__ import annotations

import heapq
import itertools
import math
import time
from dataclasses import dataclass, field
from typing import Any

from . import rng
from .events import MIN_DELAY, EventQueue
from .fleet import (
    ABORTED,
    ACTIVE_STATUSES,
    FAILED,
    IN_PROGRESS,
    PENDING,
    SUCCESS,
    Device,
    Fleet,
    Update,
)
from .simclock import SimClock, format_time

# Event kinds; the number also orders simultaneous events deterministically.
FLIP, START, FINISH = 0, 1, 2

START_DELAY = (5.0, 60.0)  # seconds until the next keep-alive picks a pending update up
RUN_TIME = (60.0, 300.0)  # seconds an update runs once started
MAX_PROBABILITY = 0.999


@dataclass(order=True)
class DeferredDeploy:
    """A deploy accepted but not yet visible on its devices."""

    visible_at: float  # time.monotonic() instant
    sequence: int  # ties: call order
    indexes: list[int] = field(compare=False)
    called_at: float = field(compare=False)  # simulated time of the call
    version: str = field(compare=False)
    comment: str = field(compare=False)
    app_name: str | None = field(compare=False)


class FailureRates:
    """Share of updates that fail. A tag override wins over a group override, which wins
    over the default; with several overridden tags on one device the highest rate applies."""

    def __init__(self, default: float) -> None:
        self.default = default
        self.tags: dict[str, float] = {}
        self.groups: dict[str, float] = {}

    def rate_for(self, device: Device) -> float:
        if self.tags:
            tagged = [self.tags[t] for t in device.tags if t in self.tags]
            if tagged:
                return max(tagged)
        return self.groups.get(device.group, self.default)

    def to_dict(self) -> dict[str, Any]:
        return {"default": self.default, "tags": dict(self.tags), "groups": dict(self.groups)}


class Lifecycle:
    def __init__(
        self,
        fleet: Fleet,
        *,
        seed: int,
        clock: SimClock,
        rates: FailureRates,
        churn: float,
        offline_share: float,
    ) -> None:
        self.fleet = fleet
        self.seed = seed
        self.clock = clock
        self.rates = rates
        self.events = EventQueue()
        self.next_update_id = 1
        self._deferred: list[DeferredDeploy] = []  # a heap by visible_at
        self._sequence = itertools.count()
        self._drained_to = clock.now()  # events up to here were applied
        self._go_offline, self._come_online = _flip_rates(churn, offline_share)
        if churn > 0:
            now = clock.now()
            self.events.push_many(self._next_flip_event(d, now) for d in fleet.devices)

    # -- time -------------------------------------------------------------------------------
    def catch_up(self) -> float:
        """Apply every event due by now; returns now. Call with the simulator lock held."""
        now = self.clock.now()
        if self._deferred and self._deferred[0].visible_at <= time.monotonic():
            self._reveal_due(now)
        self._drain(now)
        return now

    def _drain(self, until: float) -> None:
        for at, index, kind, key in self.events.due(until):
            if kind == START:
                self._start(at, index, key)
            elif kind == FINISH:
                self._finish(index, key)
            else:
                self._flip(at, index)
        self._drained_to = max(self._drained_to, until)

    def _reveal_due(self, now: float) -> None:
        """Apply the deferred deploys due by now, each at the simulated time matching its
        real due instant (clamped to [call time, now] and to events already applied)."""
        real = time.monotonic()
        while self._deferred and self._deferred[0].visible_at <= real:
            deferred = heapq.heappop(self._deferred)
            at = now - (real - deferred.visible_at) * self.clock.speedup
            at = min(max(at, deferred.called_at, self._drained_to), now)
            self._drain(at)
            self.deploy(
                deferred.indexes,
                now=at,
                version=deferred.version,
                comment=deferred.comment,
                app_name=deferred.app_name,
                scheduled_at=deferred.called_at,
            )

    def deferred_count(self) -> int:
        """Deploys accepted but not yet visible on their devices."""
        return len(self._deferred)

    # -- deploys ----------------------------------------------------------------------------
    def deploy(
        self,
        indexes: list[int],
        *,
        now: float,
        version: str,
        comment: str,
        app_name: str | None,
        scheduled_at: float | None = None,
    ) -> None:
        """Append a pending update to each device (indexes ascending, for stable update ids).
        ``scheduled_at`` (simulated) is the deployment_schedule_time; default ``now``."""
        scheduled = format_time(now if scheduled_at is None else scheduled_at)
        devices = self.fleet.devices
        online = self.fleet.online
        # rng.quick_unit inlined: this loop runs once per matched device.
        base, per_device, per_key = rng.quick_base(self.seed), rng.QUICK_DEVICE, rng.QUICK_KEY
        mix, mask, scale = rng.QUICK_MIX, rng.MASK32, rng.INV_2_32
        low, span = START_DELAY[0], START_DELAY[1] - START_DELAY[0]
        starts: list[tuple[float, int, int, int]] = []
        add_start = starts.append
        first_id = self.next_update_id
        self.next_update_id = first_id + len(indexes)
        for update_id, index in enumerate(indexes, first_id):
            device = devices[index]
            updates = device.updates
            if updates and updates[-1].status in ACTIVE_STATUSES:
                updates[-1].status = ABORTED  # see the module docstring: inferred
            updates.append(Update(update_id, version, comment, scheduled, app_name))
            if index in online and not device.trigger:
                fraction = (
                    ((base + index * per_device + update_id * per_key) * mix) & mask
                ) * scale
                add_start((now + low + span * fraction, index, START, update_id))
        self.events.push_many(starts)

    def defer_deploy(
        self,
        indexes: list[int],
        *,
        now: float,
        visible_after: float,
        version: str,
        comment: str,
        app_name: str | None,
    ) -> float:
        """Accept a deploy now (device set already chosen) but append its updates only
        ``visible_after`` real seconds later (see the module docstring). Returns the
        ``time.monotonic()`` instant at which it becomes visible."""
        visible_at = time.monotonic() + visible_after
        deferred = DeferredDeploy(
            visible_at, next(self._sequence), indexes, now, version, comment, app_name
        )
        heapq.heappush(self._deferred, deferred)
        return visible_at

    def _schedule_pending(self, device: Device, now: float) -> None:
        """A device became able to take its pending update (came online / trigger cleared)."""
        if not device.updates or device.updates[-1].status != PENDING:
            return
        if not device.online or device.trigger:
            return
        update_id = device.updates[-1].update_id
        low, span = START_DELAY[0], START_DELAY[1] - START_DELAY[0]
        delay = low + span * rng.quick_unit(self.seed, device.index, update_id)
        self.events.push((now + delay, device.index, START, update_id))

    def _start(self, at: float, index: int, update_id: int) -> None:
        device = self.fleet.devices[index]
        update = device.updates[-1] if device.updates else None
        if update is None or update.update_id != update_id or update.status != PENDING:
            return
        if not device.online or device.trigger:
            return  # rescheduled by set_online / set_trigger later
        update.status = IN_PROGRESS
        low, span = RUN_TIME[0], RUN_TIME[1] - RUN_TIME[0]
        run = low + span * rng.unit(self.seed, index, update_id, rng.SALT_DURATION)
        self.events.push((at + run, index, FINISH, update_id))

    def _finish(self, index: int, update_id: int) -> None:
        device = self.fleet.devices[index]
        update = device.updates[-1] if device.updates else None
        if update is None or update.update_id != update_id or update.status != IN_PROGRESS:
            return
        roll = rng.unit(self.seed, index, update_id, rng.SALT_OUTCOME)
        if roll < self.rates.rate_for(device):
            update.status = FAILED
            return
        update.status = SUCCESS
        if update.app_name:
            version = update.version or device.apps.get(update.app_name, "")
            self.fleet.set_app(index, update.app_name, version)

    # -- device state -----------------------------------------------------------------------
    def set_online(self, index: int, online: bool, now: float) -> bool:
        changed = self.fleet.set_online(index, online, now)
        if changed and online:
            self._schedule_pending(self.fleet.devices[index], now)
        return changed

    def set_trigger(self, index: int, trigger: bool, now: float) -> None:
        device = self.fleet.devices[index]
        device.trigger = trigger
        if not trigger:
            self._schedule_pending(device, now)

    def _flip(self, at: float, index: int) -> None:
        device = self.fleet.devices[index]
        self.set_online(index, not device.online, at)
        device.flips += 1
        self.events.push(self._next_flip_event(device, at))

    def _next_flip_event(self, device: Device, now: float) -> tuple[float, int, int, int]:
        """Churn as a per-minute probability; the waiting time is exponential."""
        per_minute = self._go_offline if device.online else self._come_online
        draw = rng.unit(self.seed, device.index, device.flips, rng.SALT_FLIP)
        minutes = -math.log1p(-draw) / -math.log1p(-per_minute)
        delay = max(minutes * 60.0, MIN_DELAY)  # the event queue needs delays >= MIN_DELAY
        return (now + delay, device.index, FLIP, device.flips)

    def pending_event_count(self) -> int:
        return len(self.events)


def _flip_rates(churn: float, offline_share: float) -> tuple[float, float]:
    """Per-minute probabilities (online->offline, offline->online).

    Online devices drop with probability ``churn``; offline ones return with a probability
    chosen so that the offline share stays near ``offline_share`` in the long run.
    """
    if churn <= 0:
        return 0.0, 0.0
    go_offline = min(churn, MAX_PROBABILITY)
    if offline_share <= 0:
        come_online = MAX_PROBABILITY
    else:
        come_online = go_offline * (1.0 - offline_share) / offline_share
    return go_offline, min(max(come_online, 1e-6), MAX_PROBABILITY)
