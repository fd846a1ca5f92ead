"""The context prepared once for every signal: integer codes, times in seconds, derived traits.

Signals read these cached arrays instead of re-parsing columns, and share expensive results
(graph components, co-activity pairs, comment clusters) through `memo`.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from review_rules import ipintel, useragents
from review_rules.context import ScoringContext, normalise
from review_rules.groups import dense, factorize
from review_rules.rows import Build, RowSlice

HOUR = 3600.0
DAY = 86400.0
HARDWARE_COLUMNS = ("device_canvas_hash", "device_webgl_renderer", "device_screen", "device_hardware_concurrency",
                    "device_platform")


def to_seconds(column: pd.Series) -> np.ndarray:
    """Seconds since the epoch as float (NaN where missing) of a tz-aware datetime column."""
    values = column.array
    ticks = np.asarray(values.asi8, dtype=np.int64)  # UTC ticks in the column's unit, NaT as int64 min
    out = ticks.astype(float) / float(np.timedelta64(1, "s") / np.timedelta64(1, values.unit))
    out[ticks == np.iinfo(np.int64).min] = np.nan
    return out


class ProofFrame:
    """Arrays over every row of the context (targets first-class, history alongside).

    `rows`: where the context's proofs sit in a larger frame whose per-row work is cached
    (review_rules.rows; a point-in-time backtest's chunks), so that work is not done again."""

    def __init__(self, context: ScoringContext, rows: RowSlice | None = None):
        self.context = normalise(context)
        self.rows = rows
        self.df = self.context.proofs
        self.n = len(self.df)
        self.target = self.df["is_target"].to_numpy(dtype=bool)
        self.now = self.context.now.timestamp()
        self.memo: dict[Any, Any] = {}
        self._codes: dict[str, np.ndarray] = {}

    def shared(self, key: Any, build: Callable[[], Any]) -> Any:
        """A result several signals need, computed once per evaluation."""
        if key not in self.memo:
            self.memo[key] = build()
        return self.memo[key]

    def per_row(self, key: Any, build: Build) -> Any:
        """build(proof frame): a value per row (array, Series or tuple of arrays) that depends on
        each row alone; taken from the row cache when there is one."""
        if self.rows is not None:
            return self.rows.values(key, build)
        return build(self.df)

    def decision_keys(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(row of the proof, account code) of each decision of the context, -1 where not in the
        frame, when the row cache knows them (a backtest's prefix chunk); None: match the ids."""
        keys = self.rows.decision_keys() if self.rows is not None else None
        return keys if keys is not None and len(keys[0]) == len(self.context.decisions) else None

    def codes(self, column: str) -> np.ndarray:
        """Int64 codes of a column, -1 where missing (cached)."""
        if column not in self._codes:
            self._codes[column] = factorize(self.df[column]) if self.rows is None else self.rows.codes(column)
        return self._codes[column]

    def text(self, column: str) -> np.ndarray:
        return self.df[column].to_numpy(dtype=object)

    def number(self, column: str) -> np.ndarray:
        return self.per_row(("number", column),
                            lambda df: pd.to_numeric(df[column], errors="coerce").to_numpy(dtype=float))

    def flag(self, column: str) -> np.ndarray:
        """True where a boolean evidence column is true (missing counts as false)."""
        return self.per_row(("flag", column), lambda df: df[column].fillna(False).astype(bool).to_numpy())

    @cached_property
    def ids(self) -> np.ndarray:
        return self.per_row("ids", lambda df: df["proof_id"].astype(str).to_numpy(dtype=object))

    @cached_property
    def worker_ids(self) -> np.ndarray:
        return self.per_row("worker_ids", lambda df: df["worker_id"].astype(str).to_numpy(dtype=object))

    @cached_property
    def worker(self) -> np.ndarray:
        return self.codes("worker_id")

    @cached_property
    def submitted(self) -> np.ndarray:
        return to_seconds(self.df["submitted_at"])

    @cached_property
    def accepted(self) -> np.ndarray:
        return to_seconds(self.df["accepted_at"])

    @cached_property
    def started(self) -> np.ndarray:
        return to_seconds(self.df["started_at"])

    @cached_property
    def worker_created(self) -> np.ndarray:
        return to_seconds(self.df["worker_created_at"])

    @cached_property
    def network(self) -> np.ndarray:
        """Kind of network each proof came from (ipintel.NETWORK_KINDS)."""
        return self.per_row("network", lambda df: ipintel.network_kinds(df["ip_asn_name"], df["ip_asn_cidr"]))

    @cached_property
    def hardware(self) -> np.ndarray:
        """Code of the stable hardware profile (canvas, GPU, screen, cores, platform); -1 without canvas."""
        parts = [self.codes(c) for c in HARDWARE_COLUMNS]
        optional = [np.where(p < 0, p.max(initial=0) + 1, p) for p in parts[1:]]  # a missing trait is a value
        return dense(parts[0], *optional)

    @cached_property
    def ip_country(self) -> np.ndarray:
        return self.per_row("ip_country", lambda df: ipintel.per_distinct(
            df["ip_country"], lambda c: c.upper() if isinstance(c, str) and c else None))

    @cached_property
    def region_country(self) -> np.ndarray:
        return self.per_row("region_country", lambda df: ipintel.region_country(df["worker_region"]))

    @cached_property
    def timezone_country(self) -> np.ndarray:
        return self.per_row("timezone_country", lambda df: ipintel.timezone_country(df["device_timezone"]))

    # The user agent's traits are read per proof and never across proofs, so they are derived for
    # the target rows only: online, a proof's history holds dozens of agents it would parse for nothing.
    @cached_property
    def ua(self) -> dict[str, np.ndarray]:
        """useragents.describe of the target rows' user agents; history rows read as no user agent."""
        if self.rows is None:
            return useragents.describe(np.where(self.target, self.text("user_agent"), None))
        # a chunk's targets are targets of the whole frame: described once there, in the same order
        described = self.rows.values("ua_of_targets", lambda df: useragents.describe(
            np.where(df["is_target"].to_numpy(dtype=bool), df["user_agent"].to_numpy(dtype=object), None)))
        return {name: np.where(self.target, values, useragents.NO_AGENT[k])
                for k, (name, values) in enumerate(described.items())}

    @cached_property
    def ua_mismatch(self) -> tuple[np.ndarray, np.ndarray]:
        """useragents.mismatch_table of the target rows; none on history rows."""
        return useragents.mismatch_table(self.ua, self.df, rows=np.flatnonzero(self.target))

    def day(self, t: np.ndarray | None = None) -> np.ndarray:
        t = self.submitted if t is None else t
        return np.where(np.isnan(t), -1, np.floor(np.nan_to_num(t) / DAY)).astype(np.int64)
