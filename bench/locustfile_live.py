"""Locust users for bench/bench_live_load.py: each one is a browser tab on a running rollout.

It opens the rollout's page once, then asks for the live fragment every 2 s as htmx does (the
`HX-Request` header, the poller's own URL with its fingerprints and stamp), following the
poller each answer brings; a 204 keeps the one it has. The wait stays at 2 s whatever interval
the poller asks for: the worst case, every page polling at the base rate.

The plan (a JSON file named by LIVE_LOAD_PLAN, written by the bench): the session cookie's
name, one signed-in session per user, the rollout ids.
"""

import itertools
import json
import os
import re

from locust import FastHttpUser, constant, task

with open(os.environ["LIVE_LOAD_PLAN"]) as _plan:
    PLAN = json.load(_plan)
POLLER = re.compile(r'id="poller" hx-get="([^"]+)"')
_numbers = itertools.count()


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
        headers = {**self.cookie, "HX-Request": "true"}
        with self.client.get(self.url, headers=headers, name="poll", catch_response=True) as r:
            if r.status_code == 204:
                r.success()
            elif r.status_code == 200 and poller_url(r.text or ""):
                self.url = poller_url(r.text)
                r.success()
            else:
                r.failure(f"HTTP {r.status_code} without a poller")
