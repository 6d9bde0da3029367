"""The one hook between the event log and notifications (called from `event_record`).

After an event of a notifiable kind commits, one task is queued on the notifications queue; it
works out the message (rollouts/services/notify_messages.py) and its deliveries. The engine's
step pays for a cheap check and a broker publish, never for a receiver; and a broker that
cannot be reached costs a logged error, never the step.
"""

import logging

from rollouts.models import Channel, Event, EventKind

logger = logging.getLogger(__name__)

NOTIFY_EVENT_TASK = "rollouts.notification_tasks.notify_event"

# Kinds that may call for a message; notify_messages.message_for_event decides.
NOTIFIABLE_KINDS = frozenset(
    {
        EventKind.STARTED,
        EventKind.STAGE_SUCCEEDED,
        EventKind.STAGE_SKIPPED,
        EventKind.RESUMED,
        EventKind.FAILED,
        EventKind.COMPLETED,
    }
)


def notifiable(event: Event) -> bool:
    """A pause counts only when the rollout paused itself (no person did it)."""
    if event.kind == EventKind.PAUSED:
        return event.actor_id is None
    return event.kind in NOTIFIABLE_KINDS


def event_committed(*, event_id: int) -> None:
    """Queue the event's notifications, when any channel is on. Never raises."""
    try:
        if not Channel.objects.filter(enabled=True).exists():
            return
        from upswift_console.celery import app

        app.send_task(NOTIFY_EVENT_TASK, args=(event_id,))
    except Exception:
        logger.exception("notifications for event %s could not be queued", event_id)
