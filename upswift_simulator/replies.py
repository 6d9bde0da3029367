"""What a handler returns, and the error it raises for a 400."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class ApiError(Exception):
    """A request the simulator refuses; becomes ``{"error_message": message}``."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class Reply:
    """An HTTP answer: JSON ``payload`` unless ``raw`` bytes are given."""

    status: int
    payload: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None

    @classmethod
    def error(cls, message: str, status: int = 400) -> Reply:
        return cls(status, {"error_message": message})
