"""The signal catalogue: every signal registers itself under a stable code with a decorator."""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from review_rules.params import Param

if TYPE_CHECKING:
    from review_rules.frame import ProofFrame

FAMILIES = ("ip", "device", "timing", "content", "account", "graph")


@dataclass
class SignalResult:
    """What a signal computes over every row of the frame (targets and history alike).

    `score` is in [0, 1], 0 meaning not fired. `explain(rows)` returns the reason text for the
    given row positions; the engine calls it only for fired target rows, so the text may be
    expensive. `features` are numeric evidence per row for the model and the moderator.
    """

    score: np.ndarray
    explain: Callable[[np.ndarray], list[str]]
    features: dict[str, np.ndarray] = field(default_factory=dict)


Compute = Callable[["ProofFrame", dict[str, Any]], SignalResult]


@dataclass(frozen=True)
class SignalSpec:
    code: str
    family: str
    title: str
    description: str
    weight: float
    params: tuple[Param, ...]
    order: tuple[tuple[str, str], ...]
    compute: Compute
    # Each row's result depends on that row's own columns alone (not on other rows, `now`, the
    # decisions or the sessions): a backtest computes it once over the whole history (engine).
    row_local: bool = False

    def describe(self) -> dict[str, Any]:
        """The declaration as data (for the rule editor and the docs)."""
        return {"code": self.code, "family": self.family, "title": self.title, "description": self.description,
                "weight": self.weight, "params": [p.describe() for p in self.params],
                "order": [list(pair) for pair in self.order]}


_REGISTRY: dict[str, SignalSpec] = {}
_SIGNAL_MODULES = tuple(f"review_rules.signals.{family}" for family in FAMILIES)


def signal(code: str, *, title: str, weight: float, params: tuple[Param, ...] = (),
           order: tuple[tuple[str, str], ...] = (), row_local: bool = False) -> Callable[[Compute], Compute]:
    """Register a compute function under `code` (`family.name`); its docstring is the description."""
    family = code.split(".", 1)[0]
    if family not in FAMILIES or "." not in code:
        raise ValueError(f"signal code {code!r} must be <family>.<name> with family in {FAMILIES}")
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"signal {code}: default weight {weight} outside [0, 1]")

    def wrap(fn: Compute) -> Compute:
        if code in _REGISTRY and _REGISTRY[code].compute is not fn:
            raise ValueError(f"signal code {code!r} registered twice")
        doc = " ".join((fn.__doc__ or title).split())
        _REGISTRY[code] = SignalSpec(code, family, title, doc, weight, tuple(params), tuple(order), fn, row_local)
        return fn

    return wrap


def all_signals() -> list[SignalSpec]:
    """Every registered signal, by family then code (imports the signal modules once)."""
    for module in _SIGNAL_MODULES:
        importlib.import_module(module)
    return sorted(_REGISTRY.values(), key=lambda s: (FAMILIES.index(s.family), s.code))


def get_signal(code: str) -> SignalSpec:
    all_signals()
    return _REGISTRY[code]
