"""Rollout plans: reusable templates of ordered stages."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

percent = [MinValueValidator(0), MaxValueValidator(100)]


class Target(models.TextChoices):
    TAG = "tag", "Canary tag"
    GROUPS = "groups", "Groups"
    ALL = "all", "All devices"


class StageSpec(models.Model):
    """What a stage targets and its gates; shared by plan stages and a rollout's copies."""

    name = models.CharField(max_length=100, blank=True)
    target = models.CharField(max_length=10, choices=Target.choices)
    tag = models.CharField(max_length=100, blank=True)
    groups = models.JSONField(default=list, blank=True)
    app_filter = models.CharField(
        "only devices with app", max_length=100, blank=True, help_text="Upswift 'app is' filter"
    )
    device_filter = models.CharField(
        "only device", max_length=100, blank=True, help_text="one device id, e.g. d-4ec7-1be9"
    )
    approval_required = models.BooleanField(default=True)
    success_threshold = models.PositiveSmallIntegerField(default=95, validators=percent)
    failure_threshold = models.PositiveSmallIntegerField(default=10, validators=percent)
    soak_minutes = models.PositiveIntegerField(default=0)
    online_only = models.BooleanField(default=False)
    deadline_minutes = models.PositiveIntegerField(
        "stop waiting after (minutes)",
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(7 * 24 * 60)],
        help_text="If the success threshold is not met this long after the deploy, the rollout "
        "pauses and asks a person (accept and continue, retry failed, wait longer, or abort).",
    )

    SPEC_FIELDS = (
        "name",
        "target",
        "tag",
        "groups",
        "app_filter",
        "device_filter",
        "approval_required",
        "success_threshold",
        "failure_threshold",
        "soak_minutes",
        "online_only",
        "deadline_minutes",
    )

    class Meta:
        abstract = True

    @property
    def target_label(self) -> str:
        if self.target == Target.TAG:
            return f"tag {self.tag}"
        if self.target == Target.GROUPS:
            return "groups " + ", ".join(self.groups)
        return "all devices"

    def spec(self) -> dict:
        return {field: getattr(self, field) for field in self.SPEC_FIELDS}


class Plan(models.Model):
    name = models.CharField(max_length=120, unique=True)
    project = models.CharField("Upswift project", max_length=120)
    description = models.TextField(blank=True)
    require_different_approver = models.BooleanField(
        default=False, help_text="The person who started a rollout may not approve its stages."
    )
    # Empty once that person's account is deleted.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PlanStage(StageSpec):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="stages")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["plan", "position"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "position"], name="plan_stage_position_unique")
        ]

    def __str__(self) -> str:
        return f"{self.plan} · {self.position}: {self.target_label}"


class PlanVersion(models.Model):
    """One saved state of a plan: who saved it, when, and what it was before and after.

    Every create and edit writes one (rollouts/services/plans.py), so a change of the four-eyes
    flag or of a stage's thresholds can be traced to a person; a rollout records the version
    whose stages it copied."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The plan's fields and stages (`plan_snapshot`); `before` is empty for the first version.
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict)

    class Meta:
        ordering = ["plan", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="plan_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} v{self.number}"

    @property
    def actor_label(self) -> str:
        return self.actor.get_username() if self.actor else "system"
