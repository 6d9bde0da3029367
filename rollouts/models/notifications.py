"""Telling people: channels (webhook, email, chat through Apprise), and the delivery of each
message to each channel with one row per try (see rollouts/services/notifications.py)."""

import secrets

from django.conf import settings
from django.db import models

from rollouts.models.audit import Event

WEBHOOK_SECRET_PREFIX = "whsec_"


class ChannelKind(models.TextChoices):
    WEBHOOK = "webhook", "Webhook"
    EMAIL = "email", "Email"
    APPRISE = "apprise", "Chat (Slack, Teams, … through Apprise)"


class NotifyKind(models.TextChoices):
    """What a message is about; a channel picks the kinds it wants."""

    APPROVAL_NEEDED = "approval_needed", "A stage awaits approval"
    PAUSED = "paused", "A rollout paused itself"
    DEADLINE = "deadline", "A stage deadline passed"
    TOKEN_REJECTED = "token_rejected", "Upswift rejected the API token"
    FAILED = "failed", "A rollout failed"
    COMPLETED = "completed", "A rollout completed"
    WORKERS_SILENT = "workers_silent", "No worker heartbeat"
    FREEZE_BEGAN = "freeze_began", "A freeze began"
    FREEZE_ENDED = "freeze_ended", "A freeze ended"
    KILL_SWITCH = "kill_switch", "The kill switch was used"
    TEST = "test", "Test message"


# The kinds a channel can subscribe to (a test message goes to the channel it tests).
SUBSCRIBABLE_KINDS = [kind for kind in NotifyKind.values if kind != NotifyKind.TEST]


class Channel(models.Model):
    """Where messages go. `secret` signs webhook bodies; `apprise_url` holds the chat service's
    credentials. Both are shown once (the secret) or never (the URL) after they are saved."""

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=10, choices=ChannelKind.choices)
    enabled = models.BooleanField(default=True)
    url = models.URLField(max_length=500, blank=True)  # webhook
    secret = models.CharField(max_length=100, blank=True)  # webhook: the HMAC-SHA256 key
    recipients = models.JSONField(default=list, blank=True)  # email addresses
    apprise_url = models.TextField(blank=True)  # chat, a secret
    kinds = models.JSONField(default=list)  # NotifyKind values
    projects = models.JSONField(default=list, blank=True)  # Upswift projects; empty: all
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"

    @staticmethod
    def new_secret() -> str:
        return WEBHOOK_SECRET_PREFIX + secrets.token_urlsafe(32)

    def wants(self, *, kind: str, project: str | None) -> bool:
        """A message of `kind` about `project` (None: about no project) goes to this channel."""
        if kind == NotifyKind.TEST:
            return True
        if not self.enabled or kind not in self.kinds:
            return False
        return project is None or not self.projects or project in self.projects

    @property
    def target_label(self) -> str:
        """Where it sends, without anything secret."""
        if self.kind == ChannelKind.WEBHOOK:
            return self.url
        if self.kind == ChannelKind.EMAIL:
            return ", ".join(self.recipients)
        scheme = self.apprise_url.split("://", 1)[0] if "://" in self.apprise_url else "?"
        return f"{scheme}://…"


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SUCCEEDED = "succeeded", "Delivered"
    FAILED = "failed", "Failed"


class Delivery(models.Model):
    """One message to one channel. `payload` is the message (never a secret); the
    `idempotency_key` is the same for every try, so a receiver can drop a repeat."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=NotifyKind.choices)
    subject = models.CharField(max_length=300)
    payload = models.JSONField(default=dict)
    idempotency_key = models.CharField(max_length=64)
    state = models.CharField(
        max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "idempotency_key"], name="delivery_channel_key_unique"
            )
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["channel", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.channel_id} ({self.state})"


class DeliveryAttempt(models.Model):
    """One try of a delivery: what was sent (no secret), the answer, the time it took."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="tries")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    succeeded = models.BooleanField(default=False)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    response = models.TextField(blank=True)  # the first characters of the answer
    request = models.JSONField(default=dict, blank=True)  # without secrets
    duration_ms = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "number"], name="delivery_attempt_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"try {self.number} of delivery {self.delivery_id}"
