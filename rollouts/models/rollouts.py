"""A rollout runs one plan for one release; its stages are copies taken at start."""

from django.conf import settings
from django.db import models

from rollouts.models.plans import Plan, PlanVersion, StageSpec
from upswift import DevicesFilter, Filter


class RolloutStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    COMPLETED = "completed", "Completed"
    ABORTED = "aborted", "Aborted"
    FAILED = "failed", "Failed"


ACTIVE_ROLLOUT_STATUSES = (RolloutStatus.SCHEDULED, RolloutStatus.RUNNING)
FINISHED_ROLLOUT_STATUSES = (RolloutStatus.COMPLETED, RolloutStatus.ABORTED, RolloutStatus.FAILED)


class StageStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DEPLOYING = "deploying", "Deploying"
    MONITORING = "monitoring", "Monitoring"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


CLOSED_STAGE_STATUSES = (StageStatus.SUCCEEDED, StageStatus.FAILED, StageStatus.SKIPPED)
# Stages the rollout has moved past; the first stage not in here is the one it works on.
DONE_STAGE_STATUSES = (StageStatus.SUCCEEDED, StageStatus.SKIPPED)


class PauseCause(models.TextChoices):
    """Why a paused rollout waits for a person; decides which choices the person gets."""

    PERSON = "person", "Paused by a person"
    FAILURE_THRESHOLD = "failure_threshold", "Failure threshold reached"
    DEADLINE = "deadline", "Stage deadline passed below the success threshold"
    DEPLOY_UNKNOWN = "deploy_unknown", "Deploy outcome unknown"
    TOKEN_REJECTED = "token_rejected", "Upswift rejected the API token"
    REJECTED = "rejected", "Upswift rejected a call"
    API_UNAVAILABLE = "api_unavailable", "Upswift API unavailable"
    KILL_SWITCH = "kill_switch", "Paused by the kill switch"


class Rollout(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="rollouts")
    # The version of the plan whose stages the rollout copied when it started.
    plan_version = models.ForeignKey(
        PlanVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="rollouts"
    )
    project = models.CharField(max_length=120)
    flow_id = models.CharField(max_length=100)
    app_name = models.CharField(max_length=100)
    app_version = models.CharField(max_length=100)
    comment = models.CharField(max_length=500, blank=True)
    status = models.CharField(
        max_length=12, choices=RolloutStatus.choices, default=RolloutStatus.DRAFT
    )
    status_reason = models.TextField(blank=True)
    # Set while paused: what kind of thing the person is asked to decide (status_reason says it).
    pause_cause = models.CharField(max_length=20, choices=PauseCause.choices, blank=True)
    # One worker advances a rollout at a time: it holds this lease for the step (see
    # rollouts/engine/steps.py); an expired lease belongs to a worker that died.
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    require_different_approver = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # An admin let this rollout start stages through the freeze windows on until then (see
    # rollouts/services/freezes.py); the kill switch still holds it.
    freeze_override_until = models.DateTimeField(null=True, blank=True)
    freeze_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    freeze_override_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "-created_at"])]
        permissions = [
            ("operate_rollout", "Can start, pause, resume, retry and abort rollouts"),
            ("approve_rollout", "Can approve the next stage of a rollout"),
        ]

    def __str__(self) -> str:
        return f"Rollout {self.pk}: {self.app_name} {self.app_version} ({self.status})"

    def marker(self, stage: "RolloutStage") -> str:
        """The prefix every deploy comment of a stage carries; read-back matches on it."""
        return f"[rollout {self.pk} · stage {stage.position}/{self.stage_count}]"

    @property
    def stage_count(self) -> int:
        cached = getattr(self, "_stage_count", None)
        if cached is None:
            cached = self._stage_count = self.stages.count()
        return cached


class RolloutStage(StageSpec):
    rollout = models.ForeignKey(Rollout, on_delete=models.CASCADE, related_name="stages")
    position = models.PositiveSmallIntegerField()
    status = models.CharField(
        max_length=12, choices=StageStatus.choices, default=StageStatus.PENDING
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approval_comment = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    threshold_met_at = models.DateTimeField(null=True, blank=True)
    # When Upswift accepted the stage's deploy (or a person confirmed it landed).
    deployed_at = models.DateTimeField(null=True, blank=True)
    # When the stage stops waiting below its success threshold and asks a person.
    deadline_at = models.DateTimeField(null=True, blank=True)
    # A person accepted the stage below its success threshold: who, when, why, and the numbers.
    shortfall_accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    shortfall_accepted_at = models.DateTimeField(null=True, blank=True)
    shortfall_reason = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # The cohort's Upswift filter (without deploy-time guards), fixed when the stage starts.
    cohort = models.JSONField(default=dict, blank=True)
    # Where an unfinished read-back pass stopped (out of API budget): {"pass", "scope",
    # "offset"} and what it found so far; "pass" is progress, groups or landed.
    poll_cursor = models.JSONField(default=dict, blank=True)
    # Counts from the last read-back, by status of this stage's update on each cohort device.
    devices_total = models.PositiveIntegerField(default=0)
    count_pending = models.PositiveIntegerField(default=0)
    count_in_progress = models.PositiveIntegerField(default=0)
    count_success = models.PositiveIntegerField(default=0)
    count_failed = models.PositiveIntegerField(default=0)
    count_aborted = models.PositiveIntegerField(default=0)
    count_not_reached = models.PositiveIntegerField(default=0)
    # Failed devices a person chose to carry on past (set on resume); the failure gate skips them.
    failures_accepted = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["rollout", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["rollout", "position"], name="rollout_stage_position_unique"
            )
        ]

    def __str__(self) -> str:
        return f"Rollout {self.rollout_id} · stage {self.position} ({self.status})"

    @property
    def counts(self) -> dict[str, int]:
        return {
            "pending": self.count_pending,
            "in_progress": self.count_in_progress,
            "success": self.count_success,
            "failed": self.count_failed,
            "aborted": self.count_aborted,
            "not_reached": self.count_not_reached,
        }

    def cohort_filter(self) -> DevicesFilter:
        return DevicesFilter(
            project=self.cohort["project"]["name"],
            groups=[g["name"] for g in self.cohort["groups"]],
            filters=[Filter(**f) for f in self.cohort["filters"]],
        )

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STAGE_STATUSES


class DeviceStatus(models.TextChoices):
    NOT_REACHED = "not_reached", "Not reached"
    PENDING = "pending", "Pending"
    IN_PROGRESS = "in_progress", "In progress"
    SUCCESS = "success", "Success"
    FAILED = "failed", "Failed"
    ABORTED = "aborted", "Aborted"


class DeviceProgress(models.Model):
    """One cohort device of one stage, as last read back from the API."""

    stage = models.ForeignKey(RolloutStage, on_delete=models.CASCADE, related_name="devices")
    device_uuid = models.CharField(max_length=64)
    device_name = models.CharField(max_length=200, blank=True)
    group = models.CharField(max_length=200, blank=True)
    online = models.BooleanField(default=False)
    status = models.CharField(
        max_length=12, choices=DeviceStatus.choices, default=DeviceStatus.NOT_REACHED
    )
    update_id = models.BigIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["stage", "device_uuid"]
        constraints = [
            models.UniqueConstraint(fields=["stage", "device_uuid"], name="device_progress_unique")
        ]
        indexes = [models.Index(fields=["stage", "status"])]

    def __str__(self) -> str:
        return f"{self.device_uuid}: {self.status}"
