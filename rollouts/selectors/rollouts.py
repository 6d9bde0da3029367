"""One rollout's page: its stages, what it waits on, its timeline, its API calls."""

import hashlib
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, IntegerField, OuterRef, QuerySet, Subquery, When
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from rollouts.engine.lifecycle import (
    Awaiting,
    Waiting,
    allowed_actions,
    retryable_stages,
    rollout_waiting,
)
from rollouts.models import (
    FINISHED_ROLLOUT_STATUSES,
    ApiCall,
    DeviceProgress,
    DeviceStatus,
    Event,
    PauseCause,
    Rollout,
    RolloutStage,
    RolloutStatus,
    StageStatus,
)
from rollouts.selectors.charts import StagePoint, stage_series
from rollouts.selectors.outcome import rollout_outcome
from rollouts.selectors.passes import passes_of, samples_of

EVENT_LIMIT = 50
CALL_LIMIT = 10
DEVICE_PAGE_SIZE = 25
CALL_PAGE_SIZE = 50
DEVICE_STATUS_ORDER = (
    DeviceStatus.FAILED,
    DeviceStatus.ABORTED,
    DeviceStatus.IN_PROGRESS,
    DeviceStatus.PENDING,
    DeviceStatus.NOT_REACHED,
    DeviceStatus.SUCCESS,
)


@dataclass
class RolloutPage:
    rollout: Rollout
    stages: list[RolloutStage]
    waiting: Waiting  # what the rollout waits for (the lifecycle decides)
    retryable: list[RolloutStage]
    events: list[Event]
    calls: list[ApiCall]
    series: dict[int, list[StagePoint]] = field(default_factory=dict)
    passes: dict[int, list[dict]] = field(default_factory=dict)  # by stage id (selectors/passes)

    @property
    def awaiting(self) -> RolloutStage | None:
        """The stage waiting for approval, if that is what the rollout waits for."""
        return self.waiting.stage if self.waiting.kind == Awaiting.APPROVAL else None

    @property
    def waiting_cause_label(self) -> str:
        cause = self.waiting.cause
        return PauseCause(cause).label if cause in PauseCause.values else cause

    @property
    def finished(self) -> bool:
        return self.rollout.status in FINISHED_ROLLOUT_STATUSES

    @property
    def outcome(self) -> str:
        """The status in words: "Completed with 5 failed, 2 not reached" (selectors/outcome.py)."""
        return rollout_outcome(rollout=self.rollout, stages=self.stages)

    @property
    def current_position(self) -> int | None:
        """The stage whose devices the page shows first: the open one, else the last started
        (the evidence for the next approval); None while no stage has started (a stage not
        started has no devices to show)."""
        started = [s for s in self.stages if s.started_at]
        open_stages = [s for s in started if not s.is_closed]
        if open_stages or started:
            return (open_stages or started)[0 if open_stages else -1].position
        return None

    @property
    def errors(self) -> list[tuple[str, str]]:
        """What went wrong, for the banner: (where, message), the API's own words included."""
        rollout = self.rollout
        found: list[tuple[str, str]] = []
        stopped = rollout.status in (RolloutStatus.PAUSED, RolloutStatus.FAILED)
        if stopped and rollout.status_reason:
            found.append((rollout.get_status_display(), rollout.status_reason))
        if stopped and rollout.last_error and rollout.last_error not in rollout.status_reason:
            found.append(("Upswift API", rollout.last_error))
        shown = {message for _, message in found}
        for stage in self.stages:
            current = not stage.is_closed or stage.status == StageStatus.FAILED
            if current and stage.last_error and not any(stage.last_error in m for m in shown):
                found.append((f"Stage {stage.position}", stage.last_error))
        return found

    @property
    def actions_fingerprint(self) -> str:
        """Changes when the buttons a person may press change (not on every count): the
        actions the state allows (whoever asks), which stage they act on, and the sentence the
        accept-shortfall form shows."""
        rollout = self.rollout
        key = (
            rollout.status,
            rollout.pause_cause,
            rollout.status_reason,
            sorted(allowed_actions(rollout=rollout, stages=self.stages, user=None)),
            self.waiting.stage.pk if self.waiting.stage else None,
            self.waiting.kind,  # a freeze offers admins its override
            tuple(s.pk for s in self.retryable),
        )
        return _digest(key)

    @property
    def data_fingerprint(self) -> str:
        """Changes when anything shown in the live regions changes."""
        rollout = self.rollout
        key = (
            rollout.status,
            rollout.status_reason,
            rollout.last_error,
            self.waiting.to_json(),
            rollout.events_total,
            rollout.calls_total,
            [
                (s.status, s.devices_total, tuple(s.counts.values()), s.last_error, s.approved_at)
                for s in self.stages
            ],
            self.events[0].pk if self.events else None,
            [(c.pk, c.state) for c in self.calls],
        )
        return _digest(key)


def _digest(value) -> str:
    return hashlib.sha1(repr(value).encode(), usedforsecurity=False).hexdigest()[:16]


def _count_of(model, **filters):
    rows = model.objects.filter(**filters).order_by().values("rollout")
    return Coalesce(
        Subquery(rows.annotate(n=Count("id")).values("n")[:1], output_field=IntegerField()), 0
    )


def rollout_get(*, rollout_id: int) -> Rollout:
    """The rollout with its plan, people and the sizes of its timeline and call log."""
    return get_object_or_404(
        Rollout.objects.select_related("plan", "created_by", "started_by").annotate(
            events_total=_count_of(Event, rollout=OuterRef("pk")),
            calls_total=_count_of(ApiCall, rollout=OuterRef("pk")),
        ),
        pk=rollout_id,
    )


def rollout_page(*, rollout_id: int) -> RolloutPage:
    """Everything the rollout page and its live fragment show: seven queries."""
    rollout = rollout_get(rollout_id=rollout_id)
    stages = list(rollout.stages.select_related("approved_by").order_by("position"))
    rollout._stage_count = len(stages)
    events = list(
        rollout.events.select_related("actor", "stage").order_by("-created_at", "-id")[:EVENT_LIMIT]
    )
    calls = list(rollout.api_calls.select_related("stage").order_by("-id")[:CALL_LIMIT])
    samples = samples_of(stages)
    return RolloutPage(
        rollout=rollout,
        stages=stages,
        waiting=rollout_waiting(rollout=rollout, stages=stages),
        retryable=retryable_stages(rollout=rollout, stages=stages),
        events=events,
        calls=calls,
        series={s.pk: stage_series(stage=s, samples=samples[s.pk]) for s in stages},
        passes=passes_of(stages),
    )


def stage_get(*, rollout: Rollout, position: int) -> RolloutStage:
    return get_object_or_404(RolloutStage, rollout=rollout, position=position)


def stage_devices(*, stage: RolloutStage, status: str = "") -> QuerySet[DeviceProgress]:
    """Failures first (what a person wants to look at), then by progress, then by id."""
    devices = DeviceProgress.objects.filter(stage=stage)
    if status:
        devices = devices.filter(status=status)
    rank = Case(
        *[When(status=value, then=n) for n, value in enumerate(DEVICE_STATUS_ORDER)],
        default=len(DEVICE_STATUS_ORDER),
        output_field=IntegerField(),
    )
    return devices.annotate(rank=rank).order_by("rank", "device_uuid")


def stage_devices_page(*, stage: RolloutStage, status: str = "", page: str | int = 1) -> Page:
    return Paginator(stage_devices(stage=stage, status=status), DEVICE_PAGE_SIZE).get_page(page)


def rollout_calls_page(*, rollout: Rollout, page: str | int = 1) -> Page:
    calls = rollout.api_calls.select_related("stage").order_by("-id")
    return Paginator(calls, CALL_PAGE_SIZE).get_page(page)
