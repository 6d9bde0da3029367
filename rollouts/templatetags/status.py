"""Badges that follow the rollout (rollouts/selectors/outcome.py): `{% load status %}`."""

from django import template
from django.utils.html import format_html

from rollouts.selectors.outcome import annotated_outcome
from rollouts.selectors.outcome import stage_badge as badge_of
from rollouts.selectors.passes import pass_result, passes_text

register = template.Library()


@register.simple_tag
def stage_badge(stage, rollout) -> str:
    """The stage's badge as its rollout stands ("Paused" for the open stage of a paused one)."""
    css, label = badge_of(rollout_status=rollout.status, stage=stage)
    return format_html(
        '<span class="badge s-{}" data-stage-status="{}">{}</span>', css, stage.status, label
    )


@register.simple_tag
def stage_label(stage, rollout) -> str:
    """The same, as plain text."""
    return badge_of(rollout_status=rollout.status, stage=stage)[1]


@register.filter
def outcome(rollout) -> str:
    """A history row's outcome ("Completed with 5 failed, 2 not reached"); the rollout comes
    from selectors/audit.py::with_record (its shortfalls annotated)."""
    return annotated_outcome(rollout)


@register.filter
def passes_line(stage) -> str:
    """A stage's passes in one line (its passes prefetched); empty for a single pass."""
    return passes_text([pass_result(p) for p in stage.passes.all()])
