"""The simulator's state: options, fleet, clock, lifecycle, faults, rate limit and call log."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from . import DEFAULT_TOKEN
from .calls import CallLog
from .faults import FaultQueue
from .fleet import Fleet, generate_fleet
from .lifecycle import FailureRates, Lifecycle
from .ratelimit import RateLimiter
from .simclock import SimClock

TICK_SECONDS = 0.2


@dataclass
class SimulatorOptions:
    devices: int = 1000
    seed: int = 7
    speedup: float = 60.0
    failure_rate: float = 0.02
    offline_share: float = 0.1
    churn: float = 0.0
    rate_limit: int = 0
    tokens: list[str] = field(default_factory=lambda: [DEFAULT_TOKEN])
    start_time: float = 0.0  # simulated start, seconds since the epoch (UTC)
    deploy_visible_after: float = 0.0  # real seconds before a deploy shows on its devices
    freeze_gc: bool = False  # process-wide: only for a process that runs just the simulator


class Simulator:
    """Owns everything. ``lock`` guards the fleet and lifecycle; hold it for any access.

    The faults, rate limiter and call log have their own small locks.
    """

    def __init__(self, options: SimulatorOptions) -> None:
        self.options = options
        self.tokens = frozenset(options.tokens)
        self.lock = threading.Lock()
        self.faults = FaultQueue()
        self.calls = CallLog()
        self.rate_limiter = RateLimiter(options.rate_limit)
        self.clock = SimClock(options.start_time, options.speedup)
        self.fleet: Fleet
        self.lifecycle: Lifecycle
        self._build()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def _build(self) -> None:
        o = self.options
        self.clock.reset()
        self.fleet = generate_fleet(o.seed, o.devices, o.offline_share, o.start_time)
        self.lifecycle = Lifecycle(
            self.fleet,
            seed=o.seed,
            clock=self.clock,
            rates=FailureRates(o.failure_rate),
            churn=o.churn,
            offline_share=o.offline_share,
        )
        if o.freeze_gc:
            # The fleet lives as long as the process: keep the cyclic GC from re-scanning
            # hundreds of thousands of devices during big deploys (pauses of 100+ ms).
            gc.collect()
            gc.freeze()

    @contextmanager
    def bulk_allocation(self) -> Iterator[None]:
        """Around work that creates many long-lived objects (a deploy to 50,000 devices).

        With ``freeze_gc``: pause the cyclic GC meanwhile, then move the new objects out of
        its reach (``gc.freeze``): update records hold no cycles and are freed by reference
        counting, so the GC has no reason to re-scan them (which costs 30%+ of a big deploy).
        """
        if not self.options.freeze_gc or not gc.isenabled():
            yield
            return
        gc.disable()
        try:
            yield
        finally:
            gc.collect(0)  # free young garbage cycles before freezing the survivors
            gc.freeze()
            gc.enable()

    def set_token(self, token: str) -> None:
        """From now on the API accepts only ``token`` (``/_sim/token``; a reset restores the
        command line's tokens). One assignment: a request sees the old set or the new one."""
        self.tokens = frozenset((token,))

    def reset(self) -> None:
        """Back to the seeded fleet at the start time and the command line's tokens; calls,
        faults and limits cleared."""
        with self.lock:
            self._build()
        self.tokens = frozenset(self.options.tokens)
        self.faults.clear()
        self.calls.clear()
        self.rate_limiter.configure(self.options.rate_limit)

    def start_ticker(self) -> None:
        """When time runs by itself, drain due events in the background too (keeps requests
        cheap after an idle period). Purely an optimisation: requests catch up anyway."""
        if self.options.speedup <= 0 or self._ticker is not None:
            return
        self._ticker = threading.Thread(target=self._tick, name="sim-ticker", daemon=True)
        self._ticker.start()

    def stop_ticker(self) -> None:
        self._stop.set()

    def _tick(self) -> None:
        while not self._stop.wait(TICK_SECONDS):
            with self.lock:
                self.lifecycle.catch_up()
