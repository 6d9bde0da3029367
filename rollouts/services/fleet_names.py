"""Names checked against the fleet inventory before they reach Upswift: a misspelt group
(`TestGrup1`) is refused when the plan is saved and when a rollout starts, with the nearest
existing names, rather than failing the rollout at stage 2.

- an unknown project (one whose inventory read Upswift refused) or group: an error naming it
  and suggesting the nearest names (`difflib.get_close_matches`);
- a tag no device of the project carries: a warning (tags come and go with devices);
- a group no device of the inventory is in may still exist, empty (or be newer than the read):
  when a plan is saved or a rollout starts (`live=True`), such a name is confirmed with one
  budgeted `devices_details` call naming it (`engine/inventory.py::stage_groups_vanished`), and
  refused only when Upswift says it does not exist (or the check cannot be made now); a preview
  (`live=False`) spends no call and calls it unknown;
- a project whose inventory was never read: the names pass, with a warning that says so (no
  whole-project read is made from a person's request). The engine checks the groups again at
  each stage start, and Upswift itself refuses a deploy naming a group that does not exist,
  which pauses the rollout.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError

from rollouts.engine.inventory import stage_groups_vanished
from rollouts.models import FleetRead
from rollouts.selectors.fleet import project_groups, project_names, project_tags


@dataclass
class NamesReport:
    errors: dict[str, list[str]] = field(default_factory=dict)  # "project" / "stages.N.field"
    warnings: list[str] = field(default_factory=list)

    def raise_errors(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)

    def sentence(self) -> str:
        return " ".join(m for messages in self.errors.values() for m in messages)


def _suggest(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    if not close:
        lowered = {k.lower(): k for k in known}
        close = [lowered[name.lower()]] if name.lower() in lowered else []
    return f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def _get(stage: Any, name: str, default: Any = "") -> Any:
    return stage.get(name, default) if isinstance(stage, dict) else getattr(stage, name, default)


def names_check(*, project: str, stages: list[Any], live: bool = False) -> NamesReport:
    """Check a plan's (or a rollout's) project, groups and tags against the inventory
    (`live`: confirm a group the inventory does not know with Upswift, see above)."""
    report = NamesReport()
    read = FleetRead.objects.filter(project=project).first()
    if read is not None and read.error:
        report.errors["project"] = [
            f"Unknown project '{project}': Upswift says \u201c{read.error}\u201d."
            + _suggest(project, project_names())
        ]
        return report
    if read is None or read.completed_at is None:
        report.warnings.append(
            f"The devices of project '{project}' have not been read yet, so its group and tag "
            "names were not checked. They are checked again when each stage starts."
        )
        return report
    groups = project_groups(project)
    tags = None
    for n, stage in enumerate(stages, start=1):
        target = _get(stage, "target")
        if target == "groups":
            missing = [g for g in _get(stage, "groups", []) or [] if g not in groups]
            if missing and live:
                vanished = stage_groups_vanished(project=project, groups=missing)
                missing = missing if vanished is None else vanished
            if missing:
                report.errors[f"stages.{n}.groups"] = [
                    f"Unknown group '{g}' in project '{project}'.{_suggest(g, groups)}"
                    for g in missing
                ]
        elif target == "tag":
            tag = _get(stage, "tag")
            tags = project_tags(project) if tags is None else tags
            if tag and tag not in tags:
                report.warnings.append(
                    f"Stage {n}: no device of project '{project}' has the tag '{tag}' now."
                    + _suggest(tag, tags)
                )
    return report


def names_enforce(*, project: str, stages: list[Any]) -> NamesReport:
    """`names_check` (live), raising its errors (ValidationError keyed like the plan's
    fields)."""
    report = names_check(project=project, stages=stages, live=True)
    report.raise_errors()
    return report
