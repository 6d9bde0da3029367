"""Presentation helpers: progress bars, the stage chart, JSON with the token redacted."""

import json
from typing import Any

from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.timesince import timesince

from upswift import redact

register = template.Library()

BAR_SEGMENTS = (
    ("success", "Success"),
    ("failed", "Failed"),
    ("aborted", "Aborted"),
    ("in_progress", "In progress"),
    ("pending", "Pending"),
    ("not_reached", "Not reached"),
)
CHART_WIDTH, CHART_HEIGHT = 300, 80


@register.filter
def percent(part: int | None, whole: int | None) -> int:
    if not whole:
        return 0
    return round(100 * (part or 0) / whole)


@register.inclusion_tag("rollouts/partials/_bar.html")
def stage_bar(stage) -> dict:
    """A stacked bar of a stage's devices by status, with its success threshold marked."""
    counts, total = stage.counts, stage.devices_total
    segments = [
        {
            "key": key,
            "label": label,
            "count": counts[key],
            "width": round(100 * counts[key] / total, 2) if total else 0,
        }
        for key, label in BAR_SEGMENTS
    ]
    done = percent(counts["success"], total)
    return {
        "stage": stage,
        "segments": [s for s in segments if s["count"]],
        "total": total,
        "done": done,
        "threshold": stage.success_threshold,
    }


@register.inclusion_tag("rollouts/partials/_chart.html")
def stage_chart(points: list, stage) -> dict:
    """Success and failure (% of the stage's devices) over the stage's time, as SVG lines."""
    if len(points) < 2:
        return {"empty": True, "stage": stage}
    start, end = points[0].at, points[-1].at
    span = max((end - start).total_seconds(), 1.0)

    def xy(point, value: float) -> str:
        x = (point.at - start).total_seconds() / span * CHART_WIDTH
        y = CHART_HEIGHT - value / 100 * CHART_HEIGHT
        return f"{x:.1f},{y:.1f}"

    return {
        "empty": False,
        "stage": stage,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "success": " ".join(xy(p, p.success_pct) for p in points),
        "failed": " ".join(xy(p, p.failed_pct) for p in points),
        "threshold_y": f"{CHART_HEIGHT - stage.success_threshold / 100 * CHART_HEIGHT:.1f}",
        "start": start,
        "end": end,
        "last": points[-1],
    }


@register.filter
def pretty_json(value: Any) -> str:
    """Indented JSON; any user_token (and the configured token anywhere) shown as ***."""
    redacted = redact(value, settings.UPSWIFT_USER_TOKEN or None)
    return json.dumps(redacted, indent=2, ensure_ascii=False, sort_keys=True)


@register.simple_tag
def page_query(query: str, page: int) -> str:
    """`?<filters>&page=N` for pagination links that keep the filters."""
    return "?" + "&".join(filter(None, [query, urlencode({"page": page})]))


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(key) if mapping else None


@register.filter
def filters_text(devices_filter) -> list[str]:
    """An Upswift DevicesFilter's filters as readable lines: `tag is canary`."""
    return [f"{f.type} {f.operand.replace('_', ' ')} {f.value}" for f in devices_filter.filters]


@register.filter
def event_facts(details: dict | None) -> list[str]:
    """The parts of an event's details worth a line in the timeline."""
    details = details or {}
    facts = []
    if details.get("target"):
        facts.append(f"target: {details['target']}")
    if "success" in details and details.get("of"):
        facts.append(f"{details['success']} of {details['of']} devices succeeded")
    if details.get("soak_minutes"):
        facts.append(f"soak {details['soak_minutes']} min")
    if isinstance(details.get("counts"), dict) and details.get("devices") is not None:
        counts = details["counts"]
        facts.append(
            f"{counts.get('success', 0)} succeeded, {counts.get('failed', 0)} failed "
            f"of {details['devices']}"
        )
    if details.get("attempt"):
        facts.append(f"{details.get('kind', 'call')} attempt {details['attempt']}")
    if details.get("status"):
        facts.append(f"HTTP {details['status']}")
    if details.get("retry_in_seconds") is not None:
        facts.append(f"next attempt in {details['retry_in_seconds']} s")
    if details.get("failed_devices"):
        facts.append(f"{details['failed_devices']} failed devices")
    queued = details.get("devices_with_queued_update")
    if queued:
        shown = ", ".join(str(d) for d in queued[:5])
        more = f" and {len(queued) - 5} more" if len(queued) > 5 else ""
        facts.append(f"{len(queued)} devices may still apply a queued update: {shown}{more}")
    if details.get("calls_cancelled"):
        facts.append(f"{details['calls_cancelled']} queued calls cancelled")
    if details.get("calls_requeued"):
        facts.append(f"{details['calls_requeued']} calls queued again")
    if details.get("scheduled_at"):
        facts.append(f"scheduled for {details['scheduled_at']}")
    before, after = details.get("before"), details.get("after")
    if isinstance(before, dict) and isinstance(after, dict):  # an edited stage
        for name, value in after.items():
            was = _value_text(before.get(name))
            facts.append(f"{name.replace('_', ' ')}: {was} → {_value_text(value)}")
    return facts


def _value_text(value) -> str:
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    return "—" if value in ("", None) else str(value)


@register.filter
def ago(when) -> str:
    """`just now`, `5 minutes ago`, `2 days ago`."""
    if not when:
        return ""
    if (timezone.now() - when).total_seconds() < 60:
        return "just now"
    return f"{timesince(when, depth=1)} ago"


@register.filter
def duration(start, end) -> str:
    """A compact span between two times: `45 s`, `12 min`, `2 h 6 min`, `3 d 4 h`."""
    if not start or not end:
        return ""
    seconds = max(0, int((end - start).total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min"
    return f"{seconds} s"
