"""Notification channels (admins manage them in the console and the REST API) and `notify`,
the one way to tell people something that is not an event of a rollout.

A channel is a webhook (a JSON body signed with HMAC-SHA256 over `<timestamp>.<body>` with a
secret generated here, returned once by `channel_create` / `channel_secret_rotate` and never
shown again), an email list (Django's mail settings), or a chat service through an Apprise URL
(a secret: kept, never shown). Each channel picks the kinds of message it wants and, optionally,
the Upswift projects (empty: all; a message about no project goes to every channel of its kind).

For other parts of the console (a freeze began or ended, the kill switch was used):

    from rollouts.models import NotifyKind
    from rollouts.services.notifications import notify

    notify(kind=NotifyKind.KILL_SWITCH, subject="Kill switch used by ada",
           text="Every running rollout was paused. Resume them one by one when it is safe.",
           link=site_link("/"), project=None)

`notify` writes the deliveries in the caller's transaction (none if it rolls back) and queues
their tries after commit, on the notifications queue; it never waits for a receiver.
"""

import logging
import re

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction

from rollouts.models import SUBSCRIBABLE_KINDS, Channel, ChannelKind, Delivery, NotifyKind
from rollouts.services.deliveries import deliveries_create, delivery_for_test
from rollouts.services.errors import ActionRefused
from rollouts.services.notify_messages import Message, site_link
from rollouts.services.notify_transports import apprise_plugin

logger = logging.getLogger(__name__)

NAME_MAX = 100
URL_MAX = 500
APPRISE_URL_MAX = 2000
MAX_RECIPIENTS = 20
PROJECT_MAX = 120
MAX_PROJECTS = 50
SUBJECT_MAX = 300
TEXT_MAX = 4000
APPRISE_HELP = (
    "Apprise does not understand this URL. Give the chat service's Apprise URL, e.g. "
    "slack://TokenA/TokenB/TokenC/#channel, msteams://… or discord://WebhookID/WebhookToken "
    "(see the Apprise wiki for your service)."
)


def _list(value, field: str, *, split: str) -> list[str]:
    """A list of strings from a list, or from text separated by `split` (a regex)."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        items = re.split(split, value)
    elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        items = list(value)
    else:
        raise ValidationError({field: ["Give a list of text values."]})
    out: list[str] = []
    for item in (i.strip() for i in items):
        if item and item not in out:
            out.append(item)
    return out


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def _clean(channel_kind: str, data: dict, *, creating: bool) -> dict:
    """The channel's fields from `data`, checked; every error at once, by field."""
    errors: dict[str, list[str]] = {}
    clean: dict = {}

    def error(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if "name" in data or creating:
        name = _text(data.get("name"))
        if not name:
            error("name", "Give the channel a name (e.g. “#releases on Slack”).")
        elif len(name) > NAME_MAX:
            error("name", f"At most {NAME_MAX} characters.")
        clean["name"] = name
    if "enabled" in data:
        if not isinstance(data["enabled"], bool):
            error("enabled", "Must be true or false.")
        clean["enabled"] = bool(data["enabled"])
    if "kinds" in data or creating:
        try:
            kinds = _list(data.get("kinds"), "kinds", split=r"[,\s]+")
        except ValidationError as exc:
            kinds = []
            error("kinds", exc.message_dict["kinds"][0])
        unknown = [k for k in kinds if k not in SUBSCRIBABLE_KINDS]
        if unknown:
            error("kinds", f"Unknown event type: {', '.join(unknown)[:200]}.")
        elif not kinds:
            error("kinds", "Pick at least one kind of event.")
        clean["kinds"] = [k for k in SUBSCRIBABLE_KINDS if k in kinds]
    if "projects" in data:
        try:
            projects = _list(data.get("projects"), "projects", split=r"[,\n]+")
        except ValidationError as exc:
            projects = []
            error("projects", exc.message_dict["projects"][0])
        if len(projects) > MAX_PROJECTS or any(len(p) > PROJECT_MAX for p in projects):
            error("projects", f"At most {MAX_PROJECTS} projects of {PROJECT_MAX} characters.")
        clean["projects"] = projects
    if channel_kind == ChannelKind.WEBHOOK and ("url" in data or creating):
        url = _text(data.get("url"))
        try:
            if len(url) > URL_MAX:
                raise ValidationError(f"At most {URL_MAX} characters.")
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError as exc:
            if exc.messages[0].startswith("At most"):
                error("url", exc.messages[0])
            else:
                error("url", "Give the receiver's address: an http:// or https:// URL.")
        clean["url"] = url
    if channel_kind == ChannelKind.EMAIL and ("recipients" in data or creating):
        try:
            recipients = _list(data.get("recipients"), "recipients", split=r"[,;\s]+")
        except ValidationError as exc:
            recipients = []
            error("recipients", exc.message_dict["recipients"][0])
        for address in recipients:
            try:
                validate_email(address)
            except ValidationError:
                error("recipients", f"Not an email address: {address[:100]}")
        if not recipients and "recipients" not in errors:
            error("recipients", "Give at least one email address.")
        if len(recipients) > MAX_RECIPIENTS:
            error("recipients", f"At most {MAX_RECIPIENTS} addresses.")
        clean["recipients"] = recipients
    if channel_kind == ChannelKind.APPRISE:
        url = _text(data.get("apprise_url"))
        if url:  # when editing, empty keeps the one stored
            if len(url) > APPRISE_URL_MAX or apprise_plugin(url) is None:
                error("apprise_url", APPRISE_HELP)  # the URL itself is never echoed
            clean["apprise_url"] = url
        elif creating:
            error("apprise_url", "Give the chat service's Apprise URL.")
    if errors:
        raise ValidationError(errors)
    return clean


def channel_create(*, kind: str, actor=None, **data) -> tuple[Channel, str]:
    """A new channel. Returns it and, for a webhook, its signing secret: show it once."""
    if kind not in ChannelKind.values:
        raise ValidationError({"kind": [f"Choose one of: {', '.join(ChannelKind.values)}."]})
    fields = _clean(kind, data, creating=True)
    secret = Channel.new_secret() if kind == ChannelKind.WEBHOOK else ""
    try:
        with transaction.atomic():
            channel = Channel.objects.create(
                kind=kind, secret=secret, created_by=actor if actor else None, **fields
            )
    except IntegrityError as exc:
        raise ValidationError({"name": ["A channel with this name already exists."]}) from exc
    logger.info("notification channel %s (%s) created", channel.pk, kind)
    return channel, secret


def channel_update(*, channel: Channel, **data) -> Channel:
    """Change what is given; the kind stays; an empty Apprise URL keeps the stored one."""
    if "kind" in data and data.pop("kind") != channel.kind:
        raise ValidationError({"kind": ["A channel's kind cannot change: create another."]})
    fields = _clean(channel.kind, data, creating=False)
    for name, value in fields.items():
        setattr(channel, name, value)
    try:
        with transaction.atomic():
            channel.save()
    except IntegrityError as exc:
        raise ValidationError({"name": ["A channel with this name already exists."]}) from exc
    logger.info("notification channel %s updated", channel.pk)
    return channel


def channel_secret_rotate(*, channel: Channel) -> str:
    """A new signing secret for a webhook (the old one stops at once). Show it once."""
    if channel.kind != ChannelKind.WEBHOOK:
        raise ActionRefused("Only a webhook has a signing secret.", code="invalid")
    channel.secret = Channel.new_secret()
    channel.save(update_fields=["secret", "updated_at"])
    logger.info("notification channel %s: signing secret replaced", channel.pk)
    return channel.secret


def channel_delete(*, channel: Channel) -> None:
    """The channel and its delivery log."""
    logger.info("notification channel %s deleted", channel.pk)
    channel.delete()


def channel_test(*, channel: Channel, actor=None) -> Delivery:
    """Queue a test message to the channel (on or off); its try shows in the delivery log."""
    from rollouts.notification_tasks import deliveries_send_later

    who = actor.get_username() if actor is not None else "the API"
    link = site_link("/")
    message = Message(
        kind=NotifyKind.TEST,
        subject=f"Test message for “{channel.name}”",
        text=(
            f"A test of the notification channel “{channel.name}”, sent by {who}. When a "
            "rollout needs someone, messages here say what happened, to which rollout, and "
            f"what a person can do.\n{link}"
        ),
        link=link,
        details={"channel": channel.pk},
    )
    with transaction.atomic():
        delivery = delivery_for_test(channel=channel, message=message)
        deliveries_send_later([delivery])
    return delivery


def notify(
    *,
    kind: str,
    subject: str,
    text: str,
    link: str = "",
    project: str | None = None,
    key: str = "",
    details: dict | None = None,
) -> list[Delivery]:
    """Tell every channel that wants `kind` (and `project`; None: about no project). `key`
    makes a message once-only: the same key again is not delivered again. Returns the new
    deliveries; their tries are queued after the caller's transaction commits."""
    from rollouts.notification_tasks import deliveries_send_later

    if kind not in SUBSCRIBABLE_KINDS:
        raise ValueError(f"notify: unknown kind {kind!r}; add it to NotifyKind")
    if not subject.strip():
        raise ValueError("notify: a subject is required")
    body = text[:TEXT_MAX] + (f"\n{link}" if link and link not in text else "")
    message = Message(
        kind=kind,
        subject=subject[:SUBJECT_MAX],
        text=body,
        link=link,
        project=project or None,
        key=f"notify:{key}" if key else "",
        details=details or {},
    )
    with transaction.atomic():
        deliveries = deliveries_create(message=message)
        deliveries_send_later(deliveries)
    return deliveries
