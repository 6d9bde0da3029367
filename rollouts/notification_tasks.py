"""Celery tasks of notifications. settings.CELERY_TASK_ROUTES sends every task of this module
to the notifications queue (NOTIFY_QUEUE), which the engine's queue never waits for. Each
task takes ids, calls one service, and is safe to run twice."""

import logging
from functools import partial

from celery import shared_task
from django.db import transaction

from rollouts.models import Delivery, Event
from rollouts.services.deliveries import deliveries_create, deliveries_due, delivery_attempt
from rollouts.services.notify_messages import message_for_event, workers_silent_message

logger = logging.getLogger(__name__)


def deliveries_send_later(deliveries: list[Delivery]) -> int:
    """Queue the first try of each delivery once its row is committed."""
    for delivery in deliveries:
        transaction.on_commit(partial(delivery_send.delay, delivery.pk))
    return len(deliveries)


@shared_task
def notify_event(event_id: int) -> int:
    """The message an event calls for (rollouts/services/events.py's hook queues this), to
    every channel that wants it. Returns how many deliveries it queued."""
    event = Event.objects.select_related("rollout", "stage").filter(pk=event_id).first()
    if event is None:
        return 0
    message = message_for_event(event)
    if message is None:
        return 0
    return deliveries_send_later(deliveries_create(message=message))


@shared_task
def delivery_send(delivery_id: int) -> None:
    """One try; the next one, when there is one, is queued with its backoff."""
    delay = delivery_attempt(delivery_id=delivery_id)
    if delay is not None:
        delivery_send.apply_async((delivery_id,), countdown=delay)


@shared_task
def notify_heartbeat_check() -> int:
    """Beat, every minute: tell people when no worker has reported for
    NOTIFY_HEARTBEAT_MINUTES (once per outage)."""
    message = workers_silent_message()
    if message is None:
        return 0
    logger.warning("no worker heartbeat: %s", message.subject)
    return deliveries_send_later(deliveries_create(message=message))


@shared_task
def deliveries_reconcile() -> int:
    """Beat, every minute: queue again the tries whose message or worker was lost."""
    due = deliveries_due()
    for delivery_id in due:
        delivery_send.delay(delivery_id)
    return len(due)
