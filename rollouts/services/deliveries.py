"""Deliveries: one row per message per channel, one DeliveryAttempt row per try.

A try is claimed with one conditional UPDATE (pending and due -> sending, attempts + 1), so two
workers given the same delivery send it once. After the try the delivery succeeds, waits for
its next try (exponential backoff with jitter, capped), or fails for good: a receiver that
refuses the message (a 4xx other than 408/429), or NOTIFY_MAX_ATTEMPTS tries. A try whose
worker died is noticed by `deliveries_due` once its lease is over, and tried again.
Only Celery tasks on the notifications queue call `delivery_attempt` (rollouts/
notification_tasks.py): no request and no engine step ever waits for a receiver.
"""

import logging
import random
import time
from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from rollouts.models import Channel, Delivery, DeliveryAttempt, DeliveryState, NotifyKind
from rollouts.services import notify_transports as transports
from rollouts.services.notify_messages import Message

logger = logging.getLogger(__name__)

# A queued try whose message seems lost is sent again this long after it was due.
LOST_AFTER = timedelta(seconds=90)
RECONCILE_BATCH = 500


def backoff_seconds(attempt: int) -> float:
    """Full jitter over an exponential ceiling: base * 2^(attempt-1), capped."""
    ceiling = min(
        settings.NOTIFY_RETRY_MAX_SECONDS, settings.NOTIFY_RETRY_BASE_SECONDS * 2 ** (attempt - 1)
    )
    return random.uniform(ceiling / 2, ceiling)


def sending_lease() -> timedelta:
    """How long a try may take before its worker is taken for gone (every wait has a timeout
    of NOTIFY_TIMEOUT_SECONDS; Apprise's whole call is capped at three of them)."""
    return timedelta(seconds=settings.NOTIFY_TIMEOUT_SECONDS * 6 + 60)


def deliveries_create(*, message: Message) -> list[Delivery]:
    """A delivery for each channel that wants the message; none twice for the same message
    key (a task run twice, a pause resumed and an approval asked again). Returns the new ones."""
    key = message.idempotency_key()
    payload = message.payload(idempotency_key=key)
    created = []
    for channel in Channel.objects.filter(enabled=True):
        if not channel.wants(kind=message.kind, project=message.project):
            continue
        delivery, new = Delivery.objects.get_or_create(
            channel=channel,
            idempotency_key=key,
            defaults={
                "event_id": message.event_id,
                "kind": message.kind,
                "subject": message.subject[:300],
                "payload": payload,
            },
        )
        if new:
            created.append(delivery)
    return created


def delivery_for_test(*, channel: Channel, message: Message) -> Delivery:
    """A test message to one channel, on or off."""
    key = message.idempotency_key()
    return Delivery.objects.create(
        channel=channel,
        kind=NotifyKind.TEST,
        subject=message.subject[:300],
        payload=message.payload(idempotency_key=key),
        idempotency_key=key,
    )


def delivery_attempt(*, delivery_id: int) -> float | None:
    """One try of the delivery if it is due. Returns the seconds until its next try, or None
    (delivered, failed for good, not due, or another worker has it). Never raises for what a
    receiver does."""
    now = timezone.now()
    claimed = (
        Delivery.objects.filter(pk=delivery_id, state=DeliveryState.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(
            state=DeliveryState.SENDING,
            attempts=F("attempts") + 1,
            next_attempt_at=now + sending_lease(),
        )
    )
    if not claimed:
        return None
    delivery = Delivery.objects.select_related("channel").get(pk=delivery_id)
    channel = delivery.channel
    attempt = DeliveryAttempt.objects.create(
        delivery=delivery, number=delivery.attempts, started_at=now
    )
    started = time.monotonic()
    if not channel.enabled and delivery.kind != NotifyKind.TEST:
        outcome = transports.Outcome(ok=False, retryable=False, error="The channel is turned off.")
    else:
        try:
            outcome = transports.send(
                channel=channel, payload=delivery.payload, attempt=delivery.attempts
            )
        except Exception as exc:  # a bug or a library's surprise: a failed try, never a crash
            logger.error("delivery %s: try %s raised %s", delivery.pk, attempt.number, type(exc))
            error = transports.redact(f"{type(exc).__name__}: {exc}", channel.apprise_url)
            outcome = transports.Outcome(ok=False, error=error[:2000])
    return _attempt_finish(delivery=delivery, attempt=attempt, outcome=outcome, started=started)


def _attempt_finish(*, delivery, attempt, outcome, started: float) -> float | None:
    finished = timezone.now()
    attempt.finished_at = finished
    attempt.duration_ms = (time.monotonic() - started) * 1000
    attempt.succeeded = outcome.ok
    attempt.status_code = outcome.status_code
    attempt.error = outcome.error
    attempt.response = outcome.response
    attempt.request = outcome.request
    attempt.save()
    delay = None
    if outcome.ok:
        fields = {"state": DeliveryState.SUCCEEDED, "finished_at": finished, "last_error": ""}
        fields["next_attempt_at"] = None
    elif not outcome.retryable or delivery.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
        fields = {"state": DeliveryState.FAILED, "finished_at": finished, "next_attempt_at": None}
        fields["last_error"] = outcome.error
    else:
        delay = backoff_seconds(delivery.attempts)
        fields = {"state": DeliveryState.PENDING, "last_error": outcome.error}
        fields["next_attempt_at"] = finished + timedelta(seconds=delay)
    # Conditional on this claim: a try taken for lost and claimed again is not overwritten.
    Delivery.objects.filter(
        pk=delivery.pk, state=DeliveryState.SENDING, attempts=delivery.attempts
    ).update(**fields)
    logger.info(
        "delivery %s (%s) to channel %s, try %s: %s",
        delivery.pk,
        delivery.kind,
        delivery.channel_id,
        attempt.number,
        "delivered" if outcome.ok else fields["state"],
    )
    return delay


def deliveries_due(*, now=None) -> list[int]:
    """Deliveries to hand to a worker again: tries whose worker is gone (lease over) and
    queued tries whose message seems lost. Called by beat on the notifications queue."""
    now = now or timezone.now()
    lost = now - LOST_AFTER
    due = Delivery.objects.filter(state=DeliveryState.PENDING).filter(
        Q(next_attempt_at__lte=lost) | Q(next_attempt_at__isnull=True, created_at__lte=lost)
    )
    due_ids = list(due.order_by("next_attempt_at").values_list("pk", flat=True)[:RECONCILE_BATCH])
    gone = Delivery.objects.filter(state=DeliveryState.SENDING, next_attempt_at__lt=now)
    gone_ids = list(gone.values_list("pk", flat=True)[:RECONCILE_BATCH])
    DeliveryAttempt.objects.filter(delivery__in=gone_ids, finished_at__isnull=True).update(
        finished_at=now, error="The worker stopped during this try."
    )
    Delivery.objects.filter(pk__in=gone_ids, state=DeliveryState.SENDING).update(
        state=DeliveryState.PENDING, next_attempt_at=now
    )
    return due_ids + gone_ids
