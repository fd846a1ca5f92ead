"""The evidence the rules see: target proofs with their relevant history, as plain frames."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

PROOF_COLUMNS = (
    "proof_id", "is_target", "campaign_id", "worker_id", "accepted_at", "started_at", "submitted_at",
    "watch_seconds", "user_agent", "comment_text", "screenshot_sha256", "screenshot_phash",
    "ip_hash", "ip_prefix_hash", "ip_version", "ip_country", "ip_asn_name", "ip_asn_cidr",
    "device_present", "device_fp_hash", "device_canvas_hash", "device_platform", "device_os", "device_screen",
    "device_timezone", "device_language", "device_webdriver", "device_emulator", "device_touch_points",
    "device_hardware_concurrency", "device_webgl_renderer",
    "worker_created_at", "worker_region", "worker_timezone", "worker_language", "worker_phone_hash",
    "brand_id", "room_id", "action", "min_watch_seconds", "campaign_starts_at", "campaign_ends_at",
)
TIME_COLUMNS = ("accepted_at", "started_at", "submitted_at", "worker_created_at", "campaign_starts_at",
                "campaign_ends_at")
SESSION_COLUMNS = ("room_id", "starts_at", "ends_at")
DECISION_COLUMNS = ("proof_id", "worker_id", "decision", "decided_at")


@dataclass
class ScoringContext:
    """Targets and history in one frame (`is_target` marks the proofs to score).

    proofs: one row per proof, columns PROOF_COLUMNS; datetimes tz-aware UTC.
    sessions: live broadcasts (room_id, starts_at, ends_at) of the rooms involved.
    decisions: past review outcomes (proof_id, worker_id, decision, decided_at) of the workers involved.
    now: the moment of scoring; evidence after it does not exist yet.
    """

    proofs: pd.DataFrame
    sessions: pd.DataFrame
    decisions: pd.DataFrame
    now: pd.Timestamp


def empty_frame(columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})


def normalise(context: ScoringContext) -> ScoringContext:
    """Fill missing optional columns with nulls and make every time column tz-aware UTC.

    Only what needs changing is touched: a context built by the database loader is already in
    shape, and copying its frames cost a noticeable share of scoring one proof online.
    """
    proofs = context.proofs
    changes: dict[str, object] = {column: None for column in PROOF_COLUMNS
                                  if column not in proofs.columns and column not in TIME_COLUMNS}
    if "is_target" in proofs.columns:
        if proofs["is_target"].dtype != bool:
            changes["is_target"] = proofs["is_target"].fillna(False).astype(bool)
    else:
        changes["is_target"] = True
    for column in TIME_COLUMNS:
        values = proofs[column] if column in proofs.columns else pd.Series(None, index=proofs.index, dtype=object)
        converted = utc(values)  # the column itself when it already is UTC
        if converted is not values:
            changes[column] = converted
    if changes:
        proofs = proofs.assign(**changes)
    sessions = context.sessions if len(context.sessions.columns) else empty_frame(SESSION_COLUMNS)
    read_starts, read_ends = sessions["starts_at"], sessions["ends_at"]
    starts, ends = utc(read_starts), utc(read_ends)
    if starts is not read_starts or ends is not read_ends:
        sessions = sessions.assign(starts_at=starts, ends_at=ends)
    decisions = context.decisions if len(context.decisions.columns) else empty_frame(DECISION_COLUMNS)
    read_decided = decisions["decided_at"]
    decided = utc(read_decided)
    if decided is not read_decided:
        decisions = decisions.assign(decided_at=decided)
    now = pd.Timestamp(context.now)
    now = now.tz_localize("UTC") if now.tzinfo is None else now.tz_convert("UTC")
    return ScoringContext(_positional(proofs), _positional(sessions), _positional(decisions), now)


def _positional(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame indexed 0..n-1 (as it is already, usually)."""
    index = frame.index
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
        return frame
    return frame.reset_index(drop=True)


def utc(column: pd.Series) -> pd.Series:
    """A datetime column as tz-aware UTC (naive values are taken as UTC)."""
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        return column if str(column.dtype.tz) == "UTC" else column.dt.tz_convert("UTC")
    return pd.to_datetime(column, utc=True, format="ISO8601") if column.dtype == object else \
        pd.to_datetime(column, utc=True)
