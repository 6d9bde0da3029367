"""A stage's passes (its deploy, each retry) and samples, as the pages, the API, the approval
evidence and the history CSV show them: "first pass 3/11 succeeded, 8 failed; retry 8/8".

A retry's numbers are its own: of the devices it deployed to again (the failed ones), how many
succeeded since it started."""

from collections import defaultdict

from rollouts.models import PassKind, RolloutStage, StagePass, StageSample


def pass_result(p: StagePass) -> dict:
    """One pass's numbers, plain JSON."""
    failed = p.count_failed + p.count_aborted
    if p.kind == PassKind.RETRY:
        devices = p.targeted or 0
        succeeded = max(p.count_success - p.succeeded_before, 0)
    else:
        devices, succeeded = p.devices_total, p.count_success
    result = {
        "number": p.number,
        "kind": p.kind,
        "started_at": p.started_at.isoformat(),
        "started_by": p.started_by.get_username() if p.started_by_id else None,
        "ended_at": p.ended_at.isoformat() if p.ended_at else None,
        "devices": devices,
        "succeeded": succeeded,
        "failed": failed,
        "pending": p.count_pending + p.count_in_progress,
        "not_reached": p.count_not_reached,
    }
    result["summary"] = pass_summary(result)
    return result


def pass_summary(result: dict) -> str:
    """The pass in words: "first pass 3/11 succeeded, 8 failed", "retry 8/8 succeeded", then
    "retry 2: …" for a second retry."""
    if result["kind"] == PassKind.RETRY:
        retries = result["number"] - 1
        name = "retry" if retries == 1 else f"retry {retries}:"
    else:
        name = "first pass"
    text = f"{name} {result['succeeded']}/{result['devices']} succeeded"
    for key, label in (
        ("failed", "failed"),
        ("pending", "pending"),
        ("not_reached", "not reached"),
    ):
        if result[key]:
            text += f", {result[key]} {label}"
    return text


def passes_text(results: list[dict]) -> str:
    """A stage's passes in one line; empty when it had one pass (its counts say it all)."""
    return "; ".join(r["summary"] for r in results) if len(results) > 1 else ""


def passes_of(stages: list[RolloutStage]) -> dict[int, list[dict]]:
    """Each stage's pass results by stage id (one query), oldest first."""
    rows = (
        StagePass.objects.filter(stage__in=[s.pk for s in stages])
        .select_related("started_by")
        .order_by("stage_id", "number")
    )
    found: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        found[row.stage_id].append(pass_result(row))
    return {s.pk: found.get(s.pk, []) for s in stages}


def samples_of(stages: list[RolloutStage]) -> dict[int, list[StageSample]]:
    """Each stage's read-back samples by stage id (one query), in time order."""
    rows = (
        StageSample.objects.filter(stage__in=[s.pk for s in stages if s.started_at])
        .only(
            "stage_id",
            "taken_at",
            "devices_total",
            "count_success",
            "count_failed",
            "count_aborted",
        )
        .order_by("stage_id", "taken_at", "id")
    )
    found: dict[int, list[StageSample]] = defaultdict(list)
    for row in rows:
        found[row.stage_id].append(row)
    return {s.pk: found.get(s.pk, []) for s in stages}
