"""Which devices a call targets (`DevicesFilter`, made of `Filter`s), validated before sending."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from upswift.errors import InvalidFilter

# Filter type -> (allowed operands, allowed values; None means any non-empty string).
FILTER_RULES: dict[str, tuple[tuple[str, ...], tuple[str, ...] | None]] = {
    "specific_device": (("is", "is_not"), None),
    "tag": (("is", "is_not"), None),
    "app": (("is", "is_not"), None),
    "device_state": (("is",), ("online", "offline")),
    "update_status": (("is", "is_not"), ("pending", "in_progress", "success", "failed", "aborted")),
}


@dataclass(frozen=True)
class Filter:
    type: str
    operand: str
    value: str

    def validate(self, where: str = "filter") -> None:
        """Raise InvalidFilter naming the bad part, e.g. `devices_filter.filters[1].operand`."""
        if not isinstance(self.type, str) or self.type not in FILTER_RULES:
            allowed = ", ".join(FILTER_RULES)
            message = f"{self.type!r} is not a known filter type (allowed: {allowed})"
            raise InvalidFilter(field=f"{where}.type", message=message)
        operands, values = FILTER_RULES[self.type]
        if self.operand not in operands:
            raise self._not_allowed(f"{where}.operand", self.operand, operands)
        if not isinstance(self.value, str):
            message = f"must be a string, got {type(self.value).__name__} {self.value!r}"
            raise InvalidFilter(field=f"{where}.value", message=message)
        if values is None and not self.value.strip():
            raise InvalidFilter(field=f"{where}.value", message="must be a non-empty string")
        if values is not None and self.value not in values:
            raise self._not_allowed(f"{where}.value", self.value, values)

    def _not_allowed(self, where: str, got: Any, allowed: tuple[str, ...]) -> InvalidFilter:
        message = f"{got!r} is not allowed for type {self.type!r} (allowed: {', '.join(allowed)})"
        return InvalidFilter(field=where, message=message)

    def to_json(self) -> dict[str, str]:
        return {"type": self.type, "operand": self.operand, "value": self.value}


@dataclass
class DevicesFilter:
    """Which devices a call targets. Inferred: filters AND together; groups OR; [] = all groups."""

    project: str
    groups: list[str] = field(default_factory=list)
    filters: list[Filter] = field(default_factory=list)

    def validate(self, where: str = "devices_filter") -> None:
        if not isinstance(self.project, str) or not self.project.strip():
            raise InvalidFilter(field=f"{where}.project.name", message="must be a non-empty string")
        if not isinstance(self.groups, list | tuple):
            raise InvalidFilter(field=f"{where}.groups", message="must be a list of group names")
        for i, group in enumerate(self.groups):
            if not isinstance(group, str) or not group.strip():
                raise InvalidFilter(
                    field=f"{where}.groups[{i}].name",
                    message=f"must be a non-empty string, got {group!r}",
                )
        if not isinstance(self.filters, list | tuple):
            raise InvalidFilter(field=f"{where}.filters", message="must be a list of Filter")
        for i, item in enumerate(self.filters):
            if not isinstance(item, Filter):
                raise InvalidFilter(
                    field=f"{where}.filters[{i}]",
                    message=f"must be a Filter, got {type(item).__name__}",
                )
            item.validate(f"{where}.filters[{i}]")

    def to_json(self) -> dict[str, Any]:
        return {
            "project": {"name": self.project},
            "groups": [{"name": group} for group in self.groups],
            "filters": [item.to_json() for item in self.filters],
        }
