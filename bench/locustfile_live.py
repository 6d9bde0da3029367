"""Locust users for bench/bench_live_load.py: each one is a browser tab on a running rollout.

It opens the rollout's page once, then asks for the live fragment every 2 s as htmx does (the
`HX-Request` header, `HX-Trigger: poller` naming the element that polls, the poller's own URL
with its fingerprints and stamp), following the poller each answer brings; a 204 keeps the one
it has. The wait stays at 2 s whatever interval the poller asks for: the worst case, every page
polling at the base rate.

The plan (a JSON file named by LIVE_LOAD_PLAN, written by the bench): the session cookie's
name, one signed-in session per user, the rollout ids. LIVE_LOAD_WARMUP (seconds, default 0):
the statistics restart that long after the test starts, so the figures are the steady state
of pages already open, not the minute in which everyone opened theirs at once.
"""

import itertools
import json
import os
import re

import gevent
from locust import FastHttpUser, constant, events, task

with open(os.environ["LIVE_LOAD_PLAN"]) as _plan:
    PLAN = json.load(_plan)
POLLER = re.compile(r'id="poller" hx-get="([^"]+)"')
_numbers = itertools.count()


@events.test_start.add_listener
def _warm_up(environment, **kwargs) -> None:
    warmup = float(os.environ.get("LIVE_LOAD_WARMUP", "0"))
    if warmup > 0 and environment.stats is not None:
        gevent.spawn_later(warmup, environment.stats.reset_all)


def poller_url(html: str) -> str | None:
    match = POLLER.search(html)
    return match.group(1).replace("&amp;", "&") if match else None


class RolloutTab(FastHttpUser):
    wait_time = constant(2)

    def on_start(self) -> None:
        n = next(_numbers)
        self.rollout = PLAN["rollouts"][n % len(PLAN["rollouts"])]
        session = PLAN["sessions"][n % len(PLAN["sessions"])]
        self.cookie = {"Cookie": f"{PLAN['cookie']}={session}"}
        page = self.client.get(f"/rollouts/{self.rollout}/", headers=self.cookie, name="page")
        self.url = poller_url(page.text or "")

    @task
    def poll(self) -> None:
        if not self.url:
            return
        headers = {**self.cookie, "HX-Request": "true", "HX-Trigger": "poller"}
        with self.client.get(self.url, headers=headers, name="poll", catch_response=True) as r:
            if r.status_code == 204:
                r.success()
            elif r.status_code == 200 and poller_url(r.text or ""):
                self.url = poller_url(r.text)
                r.success()
            else:
                r.failure(f"HTTP {r.status_code} without a poller")
