"""Hypothesis strategies for exchange-format objects: valid ones, and valid ones with fields broken."""
from __future__ import annotations

import itertools
from typing import Any

from hypothesis import strategies as st

from tests import factories as f

# Any JSON value, including text PostgreSQL cannot store (NUL, lone surrogates) and huge numbers.
JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2 ** 70), max_value=2 ** 70),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=30),
    st.sampled_from(["", " ", "\x00", "a\x00b", "\ud800", "2026-10-01T20:00:00", "2026-10-01T20:00:00+08:00",
                     "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+14:00", "::1", "223.104.3.77",
                     "1170x2532", "a" * 65, "f" * 64, "长" * 70]),
)
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=6)

PROOF_FIELDS = [*f.proof(), "device.fingerprint", "device.screen", "device.touch_points", "device.webdriver",
                "device.hardware_concurrency"]
CAMPAIGN_FIELDS = list(f.campaign())

_ids = itertools.count()


def unique_id(prefix: str) -> str:
    """Ids no other example used, so each example's writes are its own."""
    return f"{prefix}{next(_ids)}"


def _set(obj: dict[str, Any], dotted: str, value: Any) -> None:
    if "." in dotted:
        head, rest = dotted.split(".", 1)
        if isinstance(obj.get(head), dict):
            obj[head] = dict(obj[head])
            obj[head][rest] = value
        return
    obj[dotted] = value


def _delete(obj: dict[str, Any], dotted: str) -> None:
    if "." in dotted:
        head, rest = dotted.split(".", 1)
        if isinstance(obj.get(head), dict):
            obj[head] = {k: v for k, v in obj[head].items() if k != rest}
        return
    obj.pop(dotted, None)


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """`base` with up to three fields replaced by arbitrary JSON values or removed."""
    obj = dict(base)
    for name in draw(st.lists(st.sampled_from(fields), max_size=3, unique=True)):
        if draw(st.booleans()):
            _set(obj, name, draw(JSON_VALUES))
        else:
            _delete(obj, name)
    return obj


@st.composite
def proofs(draw: st.DrawFn, workers: tuple[str, ...] = ("w1", "w2", "w3")) -> dict[str, Any]:
    base = f.proof(id=unique_id("hp"), worker_id=draw(st.sampled_from(workers)),
                   ip=f"223.104.{draw(st.integers(0, 255))}.{draw(st.integers(1, 254))}")
    return draw(st.one_of(st.just(base), mutated(base, PROOF_FIELDS)))


@st.composite
def campaigns(draw: st.DrawFn) -> dict[str, Any]:
    base = f.campaign(id=unique_id("hc"))
    return draw(st.one_of(st.just(base), mutated(base, CAMPAIGN_FIELDS)))
