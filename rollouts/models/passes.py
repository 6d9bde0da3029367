"""What a stage's numbers were, kept: one row per deploy pass, one per completed read-back.

A stage's own counts are always the latest read-back, so a retry that brings 8 failed devices
round overwrites "3 of 11 succeeded" with "11 of 11". A StagePass keeps each deploy's numbers
(the stage's deploy, then each "retry failed"), frozen when the next pass starts; a StageSample
is one completed read-back (its time and counts), the stage's chart and the record of how it
went. Both are written by rollouts/engine/passes.py."""

from django.conf import settings
from django.db import models

from rollouts.models.rollouts import RolloutStage


class PassKind(models.TextChoices):
    DEPLOY = "deploy", "Deploy"
    RETRY = "retry", "Retry of failed devices"


class StageCounts(models.Model):
    """A stage's counts at one moment, by the status of its update on each cohort device."""

    devices_total = models.PositiveIntegerField(default=0)
    count_pending = models.PositiveIntegerField(default=0)
    count_in_progress = models.PositiveIntegerField(default=0)
    count_success = models.PositiveIntegerField(default=0)
    count_failed = models.PositiveIntegerField(default=0)
    count_aborted = models.PositiveIntegerField(default=0)
    count_not_reached = models.PositiveIntegerField(default=0)

    COUNT_FIELDS = (
        "devices_total",
        "count_pending",
        "count_in_progress",
        "count_success",
        "count_failed",
        "count_aborted",
        "count_not_reached",
    )

    class Meta:
        abstract = True


class StagePass(StageCounts):
    """One deploy of a stage (number 1) or one retry of its failed devices (2, 3, …): its counts
    follow the stage's read-backs until the next pass starts, then stay as they were."""

    stage = models.ForeignKey(RolloutStage, on_delete=models.CASCADE, related_name="passes")
    number = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=8, choices=PassKind.choices)
    started_at = models.DateTimeField()
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The devices this pass deployed to: a retry's failed devices (the first pass: its cohort,
    # known once read back, so devices_total).
    targeted = models.PositiveIntegerField(null=True, blank=True)
    # Devices that had already succeeded when the pass started (a retry counts only its own).
    succeeded_before = models.PositiveIntegerField(default=0)
    # Set when the next pass starts: the counts are frozen from then on.
    ended_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["stage", "number"]
        constraints = [
            models.UniqueConstraint(fields=["stage", "number"], name="stage_pass_number_unique")
        ]

    def __str__(self) -> str:
        return f"Stage {self.stage_id} · pass {self.number} ({self.kind})"


class StageSample(StageCounts):
    """One completed read-back of a stage: when, and what it counted."""

    stage = models.ForeignKey(RolloutStage, on_delete=models.CASCADE, related_name="samples")
    taken_at = models.DateTimeField()
    pass_number = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["stage", "taken_at", "id"]
        indexes = [models.Index(fields=["stage", "taken_at"])]

    def __str__(self) -> str:
        return f"Stage {self.stage_id} at {self.taken_at:%H:%M:%S}"
