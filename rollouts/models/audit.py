"""The record of what happened: one event per transition or human action, one row per API call."""

from django.conf import settings
from django.db import models

from rollouts.models.rollouts import Rollout, RolloutStage


class EventKind(models.TextChoices):
    CREATED = "created", "Created"
    SCHEDULED = "scheduled", "Scheduled"
    STARTED = "started", "Started"
    STAGE_APPROVED = "stage_approved", "Stage approved"
    STAGE_STARTED = "stage_started", "Stage started"
    STAGE_DEPLOYED = "stage_deployed", "Deploy call accepted"
    STAGE_THRESHOLD_MET = "stage_threshold_met", "Success threshold met"
    STAGE_SUCCEEDED = "stage_succeeded", "Stage succeeded"
    STAGE_FAILED = "stage_failed", "Stage failed"
    STAGE_SKIPPED = "stage_skipped", "Stage skipped"
    RETRY_REQUESTED = "retry_requested", "Retry of failed devices"
    SWEEP = "sweep", "Sweep of devices now online"
    API_ERROR = "api_error", "API error"
    PAUSED = "paused", "Paused"
    RESUMED = "resumed", "Resumed"
    ABORTED = "aborted", "Aborted"
    FAILED = "failed", "Failed"
    COMPLETED = "completed", "Completed"
    DEPLOY_RECOVERED = "deploy_recovered", "Deploy confirmed by read-back"
    ENGINE_ERROR = "engine_error", "Engine error"
    DEPLOY_UNKNOWN = "deploy_unknown", "Deploy outcome unknown"
    DEPLOY_CONFIRMED = "deploy_confirmed", "Deploy confirmed by a person"
    DEPLOY_RESEND = "deploy_resend", "Deploy to be sent again"
    SHORTFALL_ACCEPTED = "shortfall_accepted", "Shortfall accepted"
    STAGE_EDITED = "stage_edited", "Stage edited"
    STAGE_RESET = "stage_reset", "Stage not started"
    DEVICES_SKIPPED = "devices_skipped", "Malformed device rows skipped"
    STAGE_REPAIRED = "stage_repaired", "Stage repaired"
    FREEZE_OVERRIDDEN = "freeze_overridden", "Freeze overridden"
    OVERLAP_CONFIRMED = "overlap_confirmed", "Overlap with another rollout confirmed"


class Event(models.Model):
    """Append-only. The timeline, the audit trail and the history pages all read this table."""

    rollout = models.ForeignKey(Rollout, on_delete=models.CASCADE, related_name="events")
    stage = models.ForeignKey(
        RolloutStage, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(max_length=24, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    reason = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["rollout", "created_at"]),
            models.Index(fields=["kind", "-created_at"]),  # the dashboard's recent troubles
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%H:%M:%S} {self.kind}"

    @property
    def actor_label(self) -> str:
        return self.actor.get_username() if self.actor else "system"


class CallKind(models.TextChoices):
    DEPLOY = "deploy", "Deploy"
    SWEEP = "sweep", "Sweep"
    RETRY = "retry", "Retry"
    POLL = "poll", "Poll"


class CallState(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    # The request may have reached Upswift but its answer was lost (timeout, connection reset,
    # a worker that died while sending): never resent before a read-back.
    UNKNOWN = "unknown", "Outcome unknown"


class Precheck(models.TextChoices):
    """What an attempt must find out before it is sent (its earlier attempt may have landed)."""

    NONE = "", "Send"
    RESEND_IF_ABSENT = "resend_if_absent", "Read back; send if the marker is absent"
    ASK_IF_ABSENT = "ask_if_absent", "Read back; ask a person if the marker stays absent"


class ApiCall(models.Model):
    """One outbound Upswift call: a row before it is sent, completed after.

    `request` holds the method, path and body with the user token redacted. A poll pass that
    pages through many devices is one row; `pages` says how many requests it made.
    """

    rollout = models.ForeignKey(Rollout, on_delete=models.CASCADE, related_name="api_calls")
    stage = models.ForeignKey(
        RolloutStage, null=True, blank=True, on_delete=models.CASCADE, related_name="api_calls"
    )
    kind = models.CharField(max_length=8, choices=CallKind.choices)
    state = models.CharField(max_length=10, choices=CallState.choices, default=CallState.QUEUED)
    attempt = models.PositiveSmallIntegerField(default=1)
    # The attempt before this one of the same delivery (None for a first attempt).
    retry_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    precheck = models.CharField(max_length=20, choices=Precheck.choices, blank=True)
    checks = models.PositiveSmallIntegerField(default=0)  # read-backs done by this attempt
    not_before = models.DateTimeField(null=True, blank=True)
    request = models.JSONField(default=dict)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error_message = models.TextField(blank=True)
    retryable = models.BooleanField(default=False)
    pages = models.PositiveIntegerField(default=0)
    duration_ms = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["rollout", "created_at"]),
            models.Index(fields=["state", "not_before"]),
            models.Index(fields=["created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.attempt} {self.state} {self.http_status or ''}"
