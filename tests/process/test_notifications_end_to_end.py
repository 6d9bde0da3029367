"""A whole rollout with a webhook channel that wants every kind: each expected notification
arrives exactly once, signed, through the engine's real workers."""

from collections import Counter
from functools import partial

import pytest

from rollouts.models import Delivery, DeliveryState, RolloutStatus
from rollouts.services.actions import stage_approve
from tests.factories import UserFactory
from tests.notifications.conftest import webhook
from tests.notifications.receivers import http_receiver, signature_valid
from tests.process.helpers import (
    AUTO,
    CANARY_GROUPS_ALL,
    assert_every_device_once,
    start_rollout,
    wait_awaiting_approval,
    wait_status,
)
from tests.support.processes import wait_for
from upswift_console.celery import app

pytestmark = pytest.mark.integration


def test_every_expected_notification_arrives_once(engine_factory, monkeypatch):
    manager = UserFactory(username="rm")
    stages = [{**CANARY_GROUPS_ALL[0], **AUTO}, CANARY_GROUPS_ALL[1], {"target": "all", **AUTO}]
    with http_receiver() as receiver, engine_factory(devices=100, workers=2) as engine:
        # This process routes by its own settings; its tasks go to the test's queue too.
        monkeypatch.setattr(
            app, "send_task", partial(app.send_task, queue=engine.env["CELERY_NOTIFY_QUEUE"])
        )
        _, secret = webhook(receiver.url)
        rollout = start_rollout(user=manager, stages=stages)
        wait_awaiting_approval(rollout, 2, engine=engine)
        stage_approve(rollout=rollout, actor=manager, comment="canary fine")
        wait_status(rollout, RolloutStatus.COMPLETED, engine=engine, timeout=120)
        assert_every_device_once(engine, rollout)
        wait_for(
            lambda: (
                Delivery.objects.filter(state=DeliveryState.SUCCEEDED).count() >= 2
                and not Delivery.objects.exclude(state=DeliveryState.SUCCEEDED).exists()
            ),
            timeout=60,
            describe=engine.logs,
        )
        received = [r.json() for r in receiver.received]
        signed = all(signature_valid(secret, r.headers, r.body) for r in receiver.received)

    assert Counter(m["kind"] for m in received) == {"approval_needed": 1, "completed": 1}
    assert len({m["id"] for m in received}) == len(received)  # each message once
    assert signed
    approval = next(m for m in received if m["kind"] == "approval_needed")
    assert f"/rollouts/{rollout.pk}/" in approval["link"] and "stage 2 of 3" in approval["text"]
