"""Keeping a stage's numbers: a sample per completed read-back, a pass per deploy or retry
(services/actions.py::stage_retry_failed starts one).

The engine calls `sample_record` at the end of each completed read-back pass
(engine/progress.py::stage_poll); "retry failed" calls `pass_begin_retry`, which freezes the
pass before it. The first pass (the stage's deploy) is made when it is first needed, so stages
that started before passes were kept get one too. Models: rollouts/models/passes.py."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from rollouts.models import PassKind, RolloutStage, StagePass, StageSample

COUNT_FIELDS = StagePass.COUNT_FIELDS


def _counts_now(stage: RolloutStage) -> dict[str, int]:
    """The stage's counts as stored (the last completed read-back), not as `stage` was loaded."""
    return RolloutStage.objects.filter(pk=stage.pk).values(*COUNT_FIELDS).get()


def _first_pass(stage: RolloutStage, counts: dict[str, int]) -> StagePass:
    """The stage's deploy pass, made from its current counts when it does not exist yet."""
    started = stage.deployed_at or stage.started_at or timezone.now()
    try:
        with transaction.atomic():
            first, _ = StagePass.objects.get_or_create(
                stage=stage,
                number=1,
                defaults={"kind": PassKind.DEPLOY, "started_at": started, **counts},
            )
    except IntegrityError:  # made by another worker at the same moment
        first = StagePass.objects.get(stage=stage, number=1)
    return first


def pass_current(stage: RolloutStage) -> StagePass:
    """The stage's latest pass (its deploy, or its latest retry)."""
    latest = StagePass.objects.filter(stage=stage).order_by("-number").first()
    return latest or _first_pass(stage, _counts_now(stage))


def sample_record(stage: RolloutStage) -> StageSample:
    """After a completed read-back: keep its counts as a sample, and as the current pass's
    (a pass already frozen by the next one is left as it was).

    A run of read-backs that found the same numbers is kept as its first and last samples
    only: the last one's time moves forward. The chart draws the same lines, and a stage that
    waits an hour for its stragglers keeps 2 rows, not one per read-back (hundreds)."""
    now = timezone.now()
    counts = _counts_now(stage)
    current = pass_current(stage)
    StagePass.objects.filter(pk=current.pk, ended_at=None).update(read_at=now, **counts)
    last_two = list(StageSample.objects.filter(stage=stage).order_by("-taken_at", "-id")[:2])
    if len(last_two) == 2 and all(_same(s, counts, current.number) for s in last_two):
        latest = last_two[0]
        StageSample.objects.filter(pk=latest.pk).update(taken_at=now)
        latest.taken_at = now
        return latest
    return StageSample.objects.create(
        stage=stage, taken_at=now, pass_number=current.number, **counts
    )


def _same(sample: StageSample, counts: dict[str, int], pass_number: int) -> bool:
    return sample.pass_number == pass_number and all(
        getattr(sample, name) == value for name, value in counts.items()
    )


def pass_begin_retry(*, stage: RolloutStage, actor) -> StagePass:
    """A retry of the stage's failed devices starts a new pass: the one before keeps the
    numbers of the last read-back before the retry, whatever later read-backs count."""
    now = timezone.now()
    with transaction.atomic():
        counts = _counts_now(stage)
        _first_pass(stage, counts)
        previous = (
            StagePass.objects.select_for_update().filter(stage=stage).order_by("-number").first()
        )
        StagePass.objects.filter(pk=previous.pk, ended_at=None).update(ended_at=now, **counts)
        return StagePass.objects.create(
            stage=stage,
            number=previous.number + 1,
            kind=PassKind.RETRY,
            started_at=now,
            started_by=actor,
            targeted=counts["count_failed"],
            succeeded_before=counts["count_success"],
            **counts,
        )
