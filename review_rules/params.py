"""Typed, bounded signal parameters: validated on load, described for a generated editor UI."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from review_rules.reasons import stated


class RuleConfigError(ValueError):
    """A rule set configuration that cannot be used; the message names the signal and parameter."""


@dataclass(frozen=True)
class Param:
    """One tunable value of a signal. Subclasses fix the type and how a value is checked."""

    name: str
    default: Any
    help: str = ""
    unit: str = ""
    kind: str = field(default="any", init=False)

    def check(self, value: Any, where: str) -> Any:
        """Return the value in canonical form or raise RuleConfigError naming `where`."""
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        """What an editor needs to render and pre-validate this parameter."""
        return {"name": self.name, "kind": self.kind, "default": self.default, "help": self.help, "unit": self.unit}


def _number(value: Any, where: str, integer: bool) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RuleConfigError(stated("%(where)s: expected a number, got %(value)s", where=where, value=repr(value)))
    if integer:
        if isinstance(value, float) and not value.is_integer():
            raise RuleConfigError(stated("%(where)s: expected a whole number, got %(value)s", where=where,
                                         value=repr(value)))
        return int(value)
    if value != value:  # NaN
        raise RuleConfigError(stated("%(where)s: expected a number, got NaN", where=where))
    return float(value)


@dataclass(frozen=True)
class _Bounded(Param):
    minimum: float = 0
    maximum: float = 1

    def _bounded(self, value: Any, where: str, integer: bool) -> float | int:
        number = _number(value, where, integer)
        if not self.minimum <= number <= self.maximum:
            raise RuleConfigError(stated("%(where)s: %(number)s is outside [%(low)s, %(high)s]", where=where,
                                         number=number, low=self.minimum, high=self.maximum))
        return number

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "minimum": self.minimum, "maximum": self.maximum}


@dataclass(frozen=True)
class IntParam(_Bounded):
    kind: str = field(default="int", init=False)

    def check(self, value: Any, where: str) -> int:
        return int(self._bounded(value, where, integer=True))


@dataclass(frozen=True)
class FloatParam(_Bounded):
    kind: str = field(default="float", init=False)

    def check(self, value: Any, where: str) -> float:
        return float(self._bounded(value, where, integer=False))


@dataclass(frozen=True)
class BoolParam(Param):
    kind: str = field(default="bool", init=False)

    def check(self, value: Any, where: str) -> bool:
        if not isinstance(value, bool):
            raise RuleConfigError(stated("%(where)s: expected true or false, got %(value)s", where=where,
                                         value=repr(value)))
        return value


@dataclass(frozen=True)
class ChoiceListParam(Param):
    """A subset of fixed choices (e.g. the campaign actions a rule applies to)."""

    choices: tuple[str, ...] = ()
    kind: str = field(default="choices", init=False)

    def check(self, value: Any, where: str) -> list[str]:
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise RuleConfigError(stated("%(where)s: expected a list of strings, got %(value)s", where=where,
                                         value=repr(value)))
        unknown = sorted(set(value) - set(self.choices))
        if unknown:
            raise RuleConfigError(stated("%(where)s: unknown choice(s) %(unknown)s; allowed: %(allowed)s", where=where,
                                         unknown=unknown, allowed=list(self.choices)))
        return [c for c in self.choices if c in value]

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "choices": list(self.choices)}


def check_params(declared: tuple[Param, ...], given: Any, where: str,
                 order: tuple[tuple[str, str], ...] = ()) -> dict[str, Any]:
    """Validate `given` against the declarations, fill defaults, and check `lo < hi` pairs."""
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise RuleConfigError(f"{where}.params: expected an object, got {type(given).__name__}")
    known = {p.name: p for p in declared}
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise RuleConfigError(f"{where}.params: unknown parameter(s) {unknown}; known: {sorted(known)}")
    values = {name: p.check(given.get(name, p.default), f"{where}.params.{name}") for name, p in known.items()}
    for low, high in order:
        if not values[low] < values[high]:
            raise RuleConfigError(stated("%(where)s.params: %(low)s (%(low_value)s) must be below %(high)s "
                                         "(%(high_value)s)",
                                         where=where, low=low, low_value=values[low], high=high,
                                         high_value=values[high]))
    return values
