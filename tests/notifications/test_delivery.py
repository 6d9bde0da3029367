"""Deliveries to real receivers on this machine: a signed webhook, retries after 500s and a
timeout, a receiver that answers garbage, email through a real SMTP server, and a chat service
through Apprise's json:// URL. Each try is a DeliveryAttempt row; nothing a receiver does
raises out of a try."""

import json
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from rollouts import notification_tasks
from rollouts.models import (
    SUBSCRIBABLE_KINDS,
    ChannelKind,
    Delivery,
    DeliveryAttempt,
    DeliveryState,
    NotifyKind,
)
from rollouts.services.deliveries import backoff_seconds, deliveries_due, delivery_attempt
from rollouts.services.notifications import channel_create, channel_update, notify
from tests.notifications.conftest import webhook
from tests.notifications.receivers import http_receiver, signature_valid

pytestmark = pytest.mark.django_db


def one_delivery(**fields) -> Delivery:
    [delivery] = notify(
        kind=fields.pop("kind", NotifyKind.KILL_SWITCH),
        subject="Kill switch used by ada",
        text="Every running rollout was paused.",
        link="https://console.example.com/",
        **fields,
    )
    return delivery


def try_again_now(delivery: Delivery) -> None:
    """Skip the backoff wait (the task would be queued with it as its countdown)."""
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())


def test_a_webhook_is_signed_and_carries_its_idempotency_key(receiver):
    channel, secret = webhook(receiver.url)
    delivery = one_delivery()

    assert delivery_attempt(delivery_id=delivery.pk) is None  # delivered: no next try

    [request] = receiver.received
    assert signature_valid(secret, request.headers, request.body)
    assert not signature_valid("whsec_another", request.headers, request.body)
    body = request.json()
    assert request.headers["Idempotency-Key"] == body["id"] == delivery.idempotency_key
    assert request.headers["Content-Type"] == "application/json"
    assert body["kind"] == "kill_switch" and body["subject"] == "Kill switch used by ada"
    assert body["link"] == "https://console.example.com/"
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SUCCEEDED and delivery.attempts == 1
    [attempt] = delivery.tries.all()
    assert attempt.succeeded and attempt.status_code == 200 and attempt.duration_ms >= 0
    assert '"received": true' in attempt.response
    assert secret not in json.dumps([attempt.request, delivery.payload])


def test_500s_are_tried_again_with_the_same_key_until_delivered():
    with http_receiver([500, 503]) as receiver:
        _, secret = webhook(receiver.url)
        delivery = one_delivery()

        first = delivery_attempt(delivery_id=delivery.pk)
        assert first is not None and first > 0
        delivery.refresh_from_db()
        assert delivery.state == DeliveryState.PENDING
        assert delivery.next_attempt_at > timezone.now()
        assert delivery_attempt(delivery_id=delivery.pk) is None  # not due yet: no request
        assert len(receiver.received) == 1

        try_again_now(delivery)
        assert delivery_attempt(delivery_id=delivery.pk) is not None
        try_again_now(delivery)
        assert delivery_attempt(delivery_id=delivery.pk) is None

    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SUCCEEDED and delivery.attempts == 3
    assert [a.status_code for a in delivery.tries.all()] == [500, 503, 200]
    assert [a.succeeded for a in delivery.tries.all()] == [False, False, True]
    assert len({r.headers["Idempotency-Key"] for r in receiver.received}) == 1
    assert [r.headers["Upswift-Console-Attempt"] for r in receiver.received] == ["1", "2", "3"]
    assert all(signature_valid(secret, r.headers, r.body) for r in receiver.received)


def test_it_fails_for_good_after_the_last_try(settings):
    settings.NOTIFY_MAX_ATTEMPTS = 2
    with http_receiver([500, 500, 500]) as receiver:
        webhook(receiver.url)
        delivery = one_delivery()
        delivery_attempt(delivery_id=delivery.pk)
        try_again_now(delivery)
        assert delivery_attempt(delivery_id=delivery.pk) is None

    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED and delivery.finished_at
    assert delivery.last_error == "The receiver answered HTTP 500."
    assert len(receiver.received) == 2


def test_a_refusal_is_not_tried_again():
    with http_receiver([400]) as receiver:
        webhook(receiver.url)
        delivery = one_delivery()
        assert delivery_attempt(delivery_id=delivery.pk) is None

    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED and delivery.attempts == 1


def test_backoff_grows_with_jitter_up_to_its_cap(settings):
    settings.NOTIFY_RETRY_BASE_SECONDS, settings.NOTIFY_RETRY_MAX_SECONDS = 10, 300
    for attempt, ceiling in [(1, 10), (2, 20), (3, 40), (6, 300), (20, 300)]:
        waits = {backoff_seconds(attempt) for _ in range(20)}
        assert all(ceiling / 2 <= w <= ceiling for w in waits)
        assert len(waits) > 1  # jitter


def test_a_receiver_that_does_not_answer_times_out_and_is_tried_again(settings):
    settings.NOTIFY_TIMEOUT_SECONDS = 0.3
    with http_receiver(hang=True) as receiver:
        webhook(receiver.url)
        delivery = one_delivery()
        assert delivery_attempt(delivery_id=delivery.pk) is not None

    delivery.refresh_from_db()
    [attempt] = delivery.tries.all()
    assert delivery.state == DeliveryState.PENDING
    assert attempt.error == "No answer within 0.3 s." and attempt.status_code is None
    assert attempt.finished_at is not None


def test_a_receiver_answering_garbage_is_a_failed_try_not_a_crash():
    with http_receiver(garbage=True) as receiver:
        webhook(receiver.url)
        delivery = one_delivery()
        with mock.patch.object(notification_tasks.delivery_send, "apply_async") as later:
            notification_tasks.delivery_send(delivery.pk)  # the task, run here

    delivery.refresh_from_db()
    [attempt] = delivery.tries.all()
    assert not attempt.succeeded and attempt.error
    assert delivery.state == DeliveryState.PENDING
    later.assert_called_once()
    assert later.call_args.args == ((delivery.pk,),)
    assert later.call_args.kwargs["countdown"] > 0


def test_an_unexpected_error_in_a_transport_is_a_failed_try(receiver):
    webhook(receiver.url)
    delivery = one_delivery()
    with mock.patch("rollouts.services.notify_transports.send", side_effect=KeyError("boom")):
        assert delivery_attempt(delivery_id=delivery.pk) is not None

    [attempt] = DeliveryAttempt.objects.filter(delivery=delivery)
    assert attempt.error == "KeyError: 'boom'" and not attempt.succeeded


def test_a_channel_turned_off_sends_nothing(receiver):
    channel, _ = webhook(receiver.url)
    delivery = one_delivery()
    channel_update(channel=channel, enabled=False)

    assert delivery_attempt(delivery_id=delivery.pk) is None

    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED and receiver.received == []


def test_tries_whose_worker_or_message_was_lost_are_handed_out_again(receiver):
    webhook(receiver.url)
    lost, gone, fine = one_delivery(), one_delivery(), one_delivery()
    now = timezone.now()
    Delivery.objects.filter(pk=lost.pk).update(next_attempt_at=now - timedelta(minutes=5))
    Delivery.objects.filter(pk=gone.pk).update(
        state=DeliveryState.SENDING, attempts=1, next_attempt_at=now - timedelta(seconds=1)
    )
    DeliveryAttempt.objects.create(delivery=gone, number=1, started_at=now - timedelta(minutes=2))

    assert sorted(deliveries_due()) == sorted([lost.pk, gone.pk])

    gone.refresh_from_db()
    assert gone.state == DeliveryState.PENDING
    assert gone.tries.get().error == "The worker stopped during this try."
    assert delivery_attempt(delivery_id=gone.pk) is None  # delivered, as try 2
    assert gone.tries.count() == 2 and fine.pk not in deliveries_due()


def test_an_email_reaches_a_real_smtp_server(smtp):
    channel_create(
        kind=ChannelKind.EMAIL,
        name="Release team",
        recipients=["release@example.com", "oncall@example.com"],
        kinds=SUBSCRIBABLE_KINDS,
    )
    delivery = one_delivery()

    assert delivery_attempt(delivery_id=delivery.pk) is None

    [envelope] = smtp.messages
    assert sorted(envelope.rcpt_tos) == ["oncall@example.com", "release@example.com"]
    content = envelope.content.decode()
    assert "Subject: [Upswift Console] Kill switch used by ada" in content
    assert f"X-Upswift-Console-Idempotency-Key: {delivery.idempotency_key}" in content
    assert "Every running rollout was paused." in content
    assert "https://console.example.com/" in content
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SUCCEEDED


def test_an_smtp_server_that_is_not_there_is_a_failed_try(settings):
    from tests.notifications.receivers import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    channel_create(
        kind=ChannelKind.EMAIL, name="Nobody", recipients=["a@example.com"], kinds=["kill_switch"]
    )
    delivery = one_delivery()

    assert delivery_attempt(delivery_id=delivery.pk) is not None
    assert "ConnectionRefusedError" in delivery.tries.get().error


def test_a_chat_service_through_apprise_json_url(receiver):
    channel_create(
        kind=ChannelKind.APPRISE,
        name="Chat",
        apprise_url=f"json://127.0.0.1:{receiver.port}/chat/secret-room-token",
        kinds=SUBSCRIBABLE_KINDS,
    )
    delivery = one_delivery()

    assert delivery_attempt(delivery_id=delivery.pk) is None

    [request] = receiver.received
    assert request.path == "/chat/secret-room-token"
    body = request.json()
    assert body["title"] == "Kill switch used by ada"
    assert "Every running rollout was paused." in body["message"]
    assert body["type"] == "warning"
    attempt = delivery.tries.get()
    assert attempt.succeeded and attempt.request == {"service": "JSON"}


def test_an_apprise_failure_is_kept_without_the_url(capfd):
    with http_receiver([500]) as receiver:
        channel_create(
            kind=ChannelKind.APPRISE,
            name="Chat",
            apprise_url=f"json://127.0.0.1:{receiver.port}/chat/secret-room-token",
            kinds=SUBSCRIBABLE_KINDS,
        )
        delivery = one_delivery()
        assert delivery_attempt(delivery_id=delivery.pk) is not None

    attempt = delivery.tries.get()
    assert not attempt.succeeded and "500" in attempt.error
    everything = attempt.error + json.dumps(attempt.request) + "".join(capfd.readouterr())
    assert "secret-room-token" not in everything
