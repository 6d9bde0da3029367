"""What is told, to whom: the one hook in event_record (after commit, only a task is queued),
the messages derived from events (awaits approval with the previous stage's numbers, paused
itself with its cause and the choices, deadline, token, failed, completed), the worker
heartbeat check, `notify` for other parts of the console, and channel validation."""

import logging
from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from rollouts import notification_tasks
from rollouts.engine.gates import stage_succeed
from rollouts.engine.pauses import rollout_pause_for
from rollouts.models import (
    SUBSCRIBABLE_KINDS,
    ChannelKind,
    Delivery,
    Event,
    EventKind,
    NotifyKind,
    PauseCause,
)
from rollouts.services.events import event_record
from rollouts.services.notifications import channel_create, channel_update, notify
from rollouts.services.notify_events import NOTIFY_EVENT_TASK
from rollouts.services.notify_messages import message_for_event
from tests.factories import RolloutFactory, RolloutStageFactory, UserFactory, WorkerHeartbeatFactory
from tests.notifications.conftest import webhook
from upswift_console.celery import app

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued():
    """What the hook hands to the broker (nothing reaches a broker)."""
    with mock.patch.object(app, "send_task") as send_task:
        yield send_task


@pytest.fixture
def later():
    """First tries queued by the notification tasks (not run)."""
    with mock.patch.object(notification_tasks.delivery_send, "delay") as delay:
        yield delay


def two_stages(**rollout_fields):
    """Stage 1 monitoring (48 of 50 succeeded, 1 failed, 1 pending); stage 2 needs approval."""
    rollout = RolloutFactory(project="Demo", app_version="v2.1", **rollout_fields)
    first = RolloutStageFactory(
        rollout=rollout,
        position=1,
        target="tag",
        tag="canary",
        status="monitoring",
        approved_at=timezone.now(),
        devices_total=50,
        count_success=48,
        count_failed=1,
        count_pending=1,
    )
    second = RolloutStageFactory(rollout=rollout, position=2, target="all", approval_required=True)
    return rollout, first, second


def test_the_engine_queues_a_task_and_never_calls_a_receiver(
    receiver, queued, later, django_capture_on_commit_callbacks
):
    """A receiver that would hang is never called from the engine's step: the hook queues one
    task after commit; the task writes deliveries and queues their tries (on the notifications
    queue); only a try calls the receiver."""
    channel, _ = webhook(receiver.url)
    receiver.hang = True
    rollout, first, _ = two_stages()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert stage_succeed(rollout=rollout, stage=first) is True
    assert len(callbacks) == 1
    event = Event.objects.get(kind=EventKind.STAGE_SUCCEEDED)
    queued.assert_called_once_with(NOTIFY_EVENT_TASK, args=(event.pk,))
    assert receiver.received == []

    with django_capture_on_commit_callbacks(execute=True):
        assert notification_tasks.notify_event(event.pk) == 1
    delivery = Delivery.objects.get()
    later.assert_called_once_with(delivery.pk)
    assert (delivery.channel, delivery.kind) == (channel, NotifyKind.APPROVAL_NEEDED)
    assert receiver.received == []


def test_every_notification_task_goes_to_the_notifications_queue(settings):
    for name in (NOTIFY_EVENT_TASK, notification_tasks.delivery_send.name):
        route = app.amqp.router.route({}, name, args=(1,), kwargs={})
        assert route["queue"].name == settings.NOTIFY_QUEUE == "notifications"
    assert app.amqp.router.route({}, "rollouts.tasks.rollout_advance_task")["queue"].name != (
        "notifications"
    )


def test_engine_test_workers_consume_the_notification_tasks_too():
    from tests.support.processes import process_env

    env = process_env(db_url="sqlite:///x", queue="test-q")
    assert env["CELERY_NOTIFY_QUEUE"] == env["CELERY_TASK_DEFAULT_QUEUE"] == "test-q"


def test_without_a_channel_nothing_is_queued(queued, django_capture_on_commit_callbacks):
    rollout, first, _ = two_stages()
    with django_capture_on_commit_callbacks(execute=True):
        stage_succeed(rollout=rollout, stage=first)
    queued.assert_not_called()


def test_a_broker_that_is_down_costs_a_logged_error_not_the_step(
    receiver, django_capture_on_commit_callbacks, caplog
):
    webhook(receiver.url)
    rollout, first, _ = two_stages()
    down = mock.patch.object(app, "send_task", side_effect=ConnectionError("broker down"))
    with down, django_capture_on_commit_callbacks(execute=True):
        assert stage_succeed(rollout=rollout, stage=first) is True
    assert "could not be queued" in caplog.text


def test_a_person_pausing_is_not_told_about(queued, receiver, django_capture_on_commit_callbacks):
    webhook(receiver.url)
    rollout, _, _ = two_stages()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        rollout_pause_for(
            rollout=rollout, cause=PauseCause.PERSON, reason="lunch", actor=UserFactory()
        )
    assert callbacks == [] and not queued.called


def test_awaits_approval_says_which_stage_with_the_numbers_before_it_and_a_link():
    rollout, first, second = two_stages(require_different_approver=True)
    stage_succeed(rollout=rollout, stage=first)

    message = message_for_event(Event.objects.get(kind=EventKind.STAGE_SUCCEEDED))

    assert message.kind == NotifyKind.APPROVAL_NEEDED and message.project == "Demo"
    assert message.subject == (
        f"Rollout #{rollout.pk} (default_app v2.1, Demo): stage 2 awaits approval"
    )
    assert "stage 2 of 2 (all devices) waits for an approval" in message.text
    assert "Stage 1 (tag canary) succeeded: 48 of 50 devices, 1 failed, 1 pending." in message.text
    assert f"other than {rollout.started_by.username}" in message.text
    assert "approves, pauses or aborts" in message.text
    assert message.link == f"https://console.example.com/rollouts/{rollout.pk}/"
    assert message.link in message.text
    assert message.rollout["stage"] == 2 and message.rollout["stage_count"] == 2


def test_an_approval_already_given_is_not_asked_for():
    rollout, first, second = two_stages()
    stage_succeed(rollout=rollout, stage=first)
    second.approved_at = timezone.now()
    second.save()

    assert message_for_event(Event.objects.get(kind=EventKind.STAGE_SUCCEEDED)) is None


def test_the_same_approval_is_asked_once_per_channel(receiver, later):
    webhook(receiver.url)
    rollout, first, second = two_stages()
    stage_succeed(rollout=rollout, stage=first)
    resumed = event_record(rollout=rollout, kind=EventKind.RESUMED)
    succeeded = Event.objects.get(kind=EventKind.STAGE_SUCCEEDED)

    assert notification_tasks.notify_event(succeeded.pk) == 1
    assert notification_tasks.notify_event(resumed.pk) == 0  # the same question
    assert notification_tasks.notify_event(succeeded.pk) == 0  # a task run twice


@pytest.mark.parametrize(
    ("cause", "kind", "subject", "choices"),
    [
        (PauseCause.FAILURE_THRESHOLD, NotifyKind.PAUSED, "paused itself: failure", "retry"),
        (PauseCause.DEADLINE, NotifyKind.DEADLINE, "stage 1 deadline passed", "wait longer"),
        (PauseCause.TOKEN_REJECTED, NotifyKind.TOKEN_REJECTED, "rejected the API token", "UPSW"),
        (PauseCause.API_UNAVAILABLE, NotifyKind.PAUSED, "paused itself: upswift", "resume"),
    ],
)
def test_a_rollout_that_paused_itself_says_why_and_what_to_do(cause, kind, subject, choices):
    rollout, first, _ = two_stages()
    reason = "Stage 1: 48 of 50 succeeded (96.0%, needs 100%); 1 pending, 1 of them offline"
    rollout_pause_for(rollout=rollout, cause=cause, reason=reason, stage=first)

    message = message_for_event(Event.objects.get(kind=EventKind.PAUSED))

    assert message.kind == kind
    assert subject in message.subject
    assert reason in message.text and "What you can do:" in message.text
    assert choices in message.text.split("What you can do:")[1]
    assert message.details["cause"] == cause and message.rollout["pause_cause"] == cause


def test_failed_and_completed_are_told(receiver):
    rollout, first, _ = two_stages()
    failed = event_record(rollout=rollout, kind=EventKind.FAILED, reason="the plan is gone")
    completed = event_record(rollout=rollout, kind=EventKind.COMPLETED)

    assert message_for_event(failed).kind == NotifyKind.FAILED
    assert "the plan is gone" in message_for_event(failed).text
    text = message_for_event(completed).text
    assert "completed: every stage is done" in text and "48 of 50 devices" in text


def test_no_heartbeat_for_n_minutes_is_told_once_per_outage(settings, receiver, later):
    settings.NOTIFY_HEARTBEAT_MINUTES = 5
    webhook(receiver.url)
    beat = WorkerHeartbeatFactory(last_seen=timezone.now() - timedelta(minutes=2))
    assert notification_tasks.notify_heartbeat_check() == 0

    beat.last_seen = timezone.now() - timedelta(minutes=7)
    beat.save()
    assert notification_tasks.notify_heartbeat_check() == 1
    assert notification_tasks.notify_heartbeat_check() == 0  # the same outage
    delivery = Delivery.objects.get()
    assert delivery.kind == NotifyKind.WORKERS_SILENT
    assert delivery.subject == "No Celery worker has reported for 7 minutes"
    assert "restart them" in delivery.payload["text"]


def test_notify_goes_to_the_channels_that_want_the_kind_and_project(receiver):
    everything, _ = webhook(receiver.url, name="all")
    demo, _ = webhook(receiver.url, name="demo only", projects=["Demo"])
    webhook(receiver.url, name="other project", projects=["Other"])
    webhook(receiver.url, name="completions", kinds=["completed"])
    off, _ = webhook(receiver.url, name="off")
    channel_update(channel=off, enabled=False)

    about_demo = notify(kind="freeze_began", subject="Freeze", text="t", project="Demo")
    about_none = notify(kind="kill_switch", subject="Kill switch", text="t", link="https://x/")

    assert {d.channel for d in about_demo} == {everything, demo}
    assert len(about_none) == 4 - 1  # every channel of the kind, whatever its projects
    assert about_none[0].payload["text"] == "t\nhttps://x/"


def test_notify_with_a_key_tells_once_and_not_when_the_caller_rolls_back(receiver):
    webhook(receiver.url)
    assert len(notify(kind="kill_switch", subject="s", text="t", key="k1")) == 1
    assert notify(kind="kill_switch", subject="s", text="t", key="k1") == []
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(kind="kill_switch", subject="s", text="t")
        raise RuntimeError
    assert Delivery.objects.count() == 1
    with pytest.raises(ValueError, match="unknown kind"):
        notify(kind="nonsense", subject="s", text="t")


# --- Channel validation: every error by field, nothing secret echoed or logged


@pytest.mark.parametrize(
    ("kind", "fields", "field", "says"),
    [
        ("webhook", {"url": "not a url"}, "url", "http:// or https://"),
        ("webhook", {"url": "ftp://example.com/x"}, "url", "http:// or https://"),
        ("webhook", {"url": ""}, "url", "http:// or https://"),
        ("email", {"recipients": "ops@example.com, not-an-email"}, "recipients", "not-an-email"),
        ("email", {"recipients": ""}, "recipients", "at least one"),
        ("apprise", {"apprise_url": "nonsense://SECRET-TOKEN"}, "apprise_url", "Apprise does not"),
        ("apprise", {"apprise_url": "https://example.com"}, "apprise_url", "Apprise does not"),
        ("apprise", {}, "apprise_url", "Give the chat"),
        ("webhook", {"url": "https://x.test", "kinds": []}, "kinds", "at least one"),
        ("webhook", {"url": "https://x.test", "kinds": ["paused", "x"]}, "kinds", "Unknown"),
        ("teams", {}, "kind", "Choose one of"),
    ],
)
def test_bad_input_is_refused_by_field(kind, fields, field, says, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    fields.setdefault("kinds", SUBSCRIBABLE_KINDS)
    with pytest.raises(ValidationError) as refused:
        channel_create(kind=kind, name="c", **fields)

    assert any(says in m for m in refused.value.message_dict[field])
    # Apprise's own records (which quote the URL) go nowhere but pytest's capture.
    ours = "".join(r.getMessage() for r in caplog.records if r.name != "apprise")
    assert "SECRET-TOKEN" not in str(refused.value) + ours + "".join(capfd.readouterr())


def test_apprise_log_lines_are_never_printed(settings):
    config = settings.LOGGING["loggers"]["apprise"]
    assert config["propagate"] is False and config["handlers"] == ["discard"]
    assert settings.LOGGING["handlers"]["discard"]["class"] == "logging.NullHandler"


def test_names_are_unique_and_the_kind_cannot_change(receiver):
    channel, _ = webhook(receiver.url)
    with pytest.raises(ValidationError, match="already exists"):
        webhook(receiver.url)
    with pytest.raises(ValidationError, match="cannot change"):
        channel_update(channel=channel, kind=ChannelKind.EMAIL)


def test_a_webhook_gets_a_secret_and_an_empty_apprise_url_keeps_the_stored_one():
    channel, secret = channel_create(
        kind="apprise", name="chat", apprise_url="json://127.0.0.1:9/x", kinds=["paused"]
    )
    assert secret == ""
    channel_update(channel=channel, apprise_url="", name="chat 2")
    channel.refresh_from_db()
    assert channel.apprise_url == "json://127.0.0.1:9/x" and channel.name == "chat 2"
    hook, secret = channel_create(kind="webhook", name="h", url="https://x.test/", kinds=["paused"])
    assert secret.startswith("whsec_") and len(secret) > 40 and hook.secret == secret
