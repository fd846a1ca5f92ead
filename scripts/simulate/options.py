"""Options of a simulated world, validated before any work starts."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

#: Every fraud pattern the generator knows, in a stable order.
PATTERNS: tuple[str, ...] = (
    "device_farm",
    "scripted_bot",
    "proxy_ring",
    "screenshot_reuse",
    "comment_ring",
    "brand_collusion",
    "lockstep",
    "dormant_wake",
    "carrier_bot",
)

#: All times in the world are written in China Standard Time.
CST = timezone(timedelta(hours=8))

DEFAULT_START = datetime(2026, 9, 1, 0, 0, tzinfo=CST)


@dataclasses.dataclass(frozen=True)
class SimulationOptions:
    """Size, fraud mix and labelling of one synthetic world."""

    seed: int = 7
    workers: int = 1500
    campaigns: int = 40
    proofs: int = 10_000
    fraud_rate: float = 0.25
    patterns: tuple[str, ...] = PATTERNS
    holdout_pattern: str | None = None
    days: int = 28
    labelled_share: float = 0.6
    label_noise: float = 0.03
    start: datetime = DEFAULT_START

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> SimulationOptions:
        """Raise ValueError naming the first bad option; return self when all are sound."""
        _check_int("seed", self.seed, 0, 2**63 - 1)
        _check_int("workers", self.workers, 50, 10_000_000)
        _check_int("campaigns", self.campaigns, 1, 100_000)
        _check_int("proofs", self.proofs, 1, 50_000_000)
        _check_int("days", self.days, 1, 3650)
        _check_float("fraud_rate", self.fraud_rate, 0.0, 0.9)
        _check_float("labelled_share", self.labelled_share, 0.0, 1.0)
        _check_float("label_noise", self.label_noise, 0.0, 0.5)
        if isinstance(self.patterns, str) or not isinstance(self.patterns, (tuple, list)):
            raise ValueError("patterns must be a tuple of pattern names")
        unknown = [p for p in self.patterns if p not in PATTERNS]
        if unknown:
            raise ValueError(f"patterns: unknown pattern(s) {unknown}; known: {list(PATTERNS)}")
        if len(set(self.patterns)) != len(self.patterns):
            raise ValueError("patterns: a pattern is listed twice")
        if self.fraud_rate > 0 and not self.patterns:
            raise ValueError("patterns: fraud_rate > 0 needs at least one pattern")
        if self.holdout_pattern is not None and self.holdout_pattern not in self.patterns:
            raise ValueError(
                f"holdout_pattern: {self.holdout_pattern!r} is not one of patterns {list(self.patterns)}"
            )
        if self.holdout_pattern is not None and self.fraud_rate == 0:
            raise ValueError("holdout_pattern: a world with fraud_rate 0 has no pattern to hold out")
        if not isinstance(self.start, datetime) or self.start.utcoffset() is None:
            raise ValueError("start must be a timezone-aware datetime")
        return self

    @property
    def active_patterns(self) -> tuple[str, ...]:
        """The selected patterns in canonical order (empty when the world has no fraud)."""
        if self.fraud_rate == 0:
            return ()
        return tuple(p for p in PATTERNS if p in self.patterns)


def _check_int(name: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {value}")


def _check_float(name: str, value: object, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if not low <= float(value) <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {value}")
