"""20 release managers press Approve at the same moment, over HTTP: one stage start."""

import threading

import pytest
import requests

from rollouts.models import Event, EventKind, RolloutStatus
from rollouts.services.tokens import api_token_create
from tests.process.helpers import (
    CANARY_GROUPS_ALL,
    deploy_calls,
    start_rollout,
    wait_awaiting_approval,
    wait_status,
)
from tests.support.roles import user_with_role

pytestmark = pytest.mark.integration


def test_twenty_concurrent_approve_requests_start_the_stage_once(engine_factory, live_server):
    managers = [user_with_role(f"rm{i}", "Release manager") for i in range(20)]
    tokens = [api_token_create(user=m, name="ci")[1] for m in managers]
    stages = CANARY_GROUPS_ALL[:2]
    with engine_factory(devices=200) as engine:
        rollout = start_rollout(user=managers[0], stages=stages)
        wait_awaiting_approval(rollout, 2, engine=engine)
        url = f"{live_server.url}/api/v1/rollouts/{rollout.pk}/approve"
        barrier = threading.Barrier(len(tokens))
        answers: list[int] = []

        def approve(token: str) -> None:
            barrier.wait()
            response = requests.post(
                url,
                json={"comment": "go"},
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            )
            answers.append(response.status_code)

        threads = [threading.Thread(target=approve, args=(t,)) for t in tokens]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wait_status(rollout, RolloutStatus.COMPLETED, engine=engine, timeout=90)
        deploys = deploy_calls(engine.sim)

    assert sorted(answers) == [200] + [409] * 19
    assert len(deploys) == 2  # the canary's and the approved stage's, once each
    approvals = Event.objects.filter(rollout=rollout, kind=EventKind.STAGE_APPROVED)
    assert approvals.count() == 1
