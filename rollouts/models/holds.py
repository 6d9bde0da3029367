"""Holding the line: freeze windows (no new stage starts while one is on) and the kill switch
(every running rollout paused at once, nothing new starts until it is released).

The rule "is a rollout held now, until when" is rollouts/services/freezes.py."""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Recurrence(models.TextChoices):
    ONCE = "once", "One-off"
    WEEKLY = "weekly", "Weekly"


# Weekdays as Python numbers them (Monday 0), with the names the REST API uses.
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_LABELS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class FreezeWindow(models.Model):
    """While a window is on, no stage of a rollout of its project (every project when blank)
    starts and no scheduled rollout starts. Stages already deploying or monitoring go on.

    One-off: `starts_at` to `ends_at`. Weekly: on each of `weekdays`, from `start_time` to
    `end_time` in `timezone` (an end at or before the start ends the next day, so 00:00 to
    00:00 is the whole day)."""

    name = models.CharField(max_length=120)
    project = models.CharField(
        "Upswift project", max_length=120, blank=True, help_text="Empty: every project."
    )
    recurrence = models.CharField(max_length=8, choices=Recurrence.choices)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    weekdays = models.JSONField(default=list, blank=True)  # 0 = Monday ... 6 = Sunday
    start_time = models.TimeField(null=True, blank=True)
    end_time = models.TimeField(null=True, blank=True)
    timezone = models.CharField(max_length=64, help_text="An IANA name, e.g. Europe/Berlin.")
    reason = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recurrence", "ends_at"], name="freeze_recurrence_ends_idx")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def schedule_label(self) -> str:
        if self.recurrence == Recurrence.WEEKLY:
            days = ", ".join(WEEKDAY_LABELS[d][:3] for d in sorted(self.weekdays))
            start, end = f"{self.start_time:%H:%M}", f"{self.end_time:%H:%M}"
            return f"every {days}, {start} to {end} ({self.timezone})"
        zone = ZoneInfo(self.timezone)
        start, end = self.starts_at.astimezone(zone), self.ends_at.astimezone(zone)
        return f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} ({self.timezone})"


class KillSwitchUseQuerySet(models.QuerySet):
    def engaged(self):
        return self.filter(engaged=True)


class KillSwitchUse(models.Model):
    """One use of the kill switch: who pulled it and why, the rollouts it paused, and who
    released it. At most one use is engaged at a time (the constraint)."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField()
    at = models.DateTimeField(default=timezone.now)
    engaged = models.BooleanField(default=True)
    paused = models.JSONField(default=list, blank=True)  # ids of the rollouts it paused
    resumed_at = models.DateTimeField(null=True, blank=True)
    resumed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resume_reason = models.TextField(blank=True)
    resumed = models.JSONField(default=list, blank=True)  # ids of the rollouts it resumed

    objects = KillSwitchUseQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["engaged"], condition=Q(engaged=True), name="kill_switch_one_engaged"
            )
        ]

    def __str__(self) -> str:
        return f"Kill switch {self.at:%Y-%m-%d %H:%M} ({'on' if self.engaged else 'released'})"

    @property
    def actor_label(self) -> str:
        return self.actor.get_username() if self.actor else "someone"
