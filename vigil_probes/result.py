"""What one probe found: ProbeResult, and the small helpers every probe kind shares."""

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class State(StrEnum):
    """The values match monitoring.models.Monitor.State, so a result's state can be stored as is."""

    UP = "up"
    DEGRADED = "degraded"
    DOWN = "down"


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """One check of one target.

    ok is False only when the state is down: a degraded target still answers as it should, slowly
    or close to a limit. reason says why in a few words whenever the state is not up.
    """

    ok: bool
    state: State
    latency_ms: float
    reason: str = ""
    status_code: int | None = None
    details: dict[str, Any] = field(default_factory=dict)
    checked_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly copy, e.g. to hand a result from a Celery task to another."""
        return {
            "ok": self.ok,
            "state": str(self.state),
            "latency_ms": self.latency_ms,
            "reason": self.reason,
            "status_code": self.status_code,
            "details": self.details,
            "checked_at": self.checked_at.isoformat(),
        }


class ProbeFailure(Exception):
    """Raised anywhere inside a probe to end it as down with REASON."""

    def __init__(self, reason: str, status_code: int | None = None, details: dict[str, Any] | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status_code = status_code
        self.details = details or {}


class Progress:
    """How far a running probe got: when it started and what it is doing now.

    The runner owns the hard timeout; when it strikes, `step` names what the probe was waiting for
    ("timed out after 5.0 s while reading the body").
    """

    __slots__ = ("checked_at", "started", "step")

    def __init__(self) -> None:
        self.checked_at = datetime.now(UTC)
        self.started = time.perf_counter()
        self.step = "starting"

    def elapsed_ms(self) -> float:
        return round((time.perf_counter() - self.started) * 1000, 2)

    def result(
        self,
        state: State = State.UP,
        reason: str = "",
        status_code: int | None = None,
        details: dict[str, Any] | None = None,
        latency_ms: float | None = None,
    ) -> ProbeResult:
        return ProbeResult(
            ok=state is not State.DOWN,
            state=state,
            latency_ms=self.elapsed_ms() if latency_ms is None else latency_ms,
            reason=reason,
            status_code=status_code,
            details=details if details is not None else {},
            checked_at=self.checked_at,
        )

    def down(self, reason: str, status_code: int | None = None, details: dict[str, Any] | None = None):
        return self.result(State.DOWN, reason, status_code, details)


def format_size(size: int) -> str:
    """1048576 -> '1 MiB', 1536 -> '1.5 KiB', 300 -> '300 bytes'."""
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


def format_seconds(seconds: float) -> str:
    return f"{seconds:.1f} s"
