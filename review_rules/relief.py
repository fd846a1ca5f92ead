"""Entity-level relief: a signal that does not count for one worker, address, device or campaign.

A mute names a signal code and an entity (the value of one of the proof's own columns: its worker,
the keyed hash of its address, the keyed hash of its device fingerprint, or its campaign). For
every target proof whose entity matches an active mute, the muted signal's score becomes 0 and the
evidence features that signal emitted become missing (NaN), so neither the rule score, a hard hold
nor the model's inputs carry it; the rule score and hard holds are recomputed from what is left.
The fired reason stays in the proof's reasons, moved last with score 0, the score it had
(`muted_score`) and the mute's id (`muted`), so a reviewer reads why it no longer counts.

An allowlist is a mute whose signal code is ALLOWLIST: it mutes every signal that accuses the
entity *by association* through that kind of link (LINKAGE_SIGNALS). Evidence about the proof
itself (a reused screenshot, an automation client, an impossible watch time) is never allowlisted.

Pure: which mutes are active is the caller's business; they arrive as a frame (MUTE_COLUMNS).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from review_rules.engine import RuleOutput, hard_hold, noisy_or, validate_config

ENTITY_COLUMNS = {"worker": "worker_id", "address": "ip_hash", "device": "device_fp_hash", "campaign": "campaign_id"}
ENTITY_KINDS = tuple(ENTITY_COLUMNS)
ALLOWLIST = "*"
MUTE_COLUMNS = ("mute_id", "signal_code", "entity_kind", "entity_value")

# The signals that link accounts through each kind of entity: what an allowlist of that entity mutes.
LINKAGE_SIGNALS: dict[str, tuple[str, ...]] = {
    "worker": ("account.created_together", "content.comment_duplicate", "device.shared_fingerprint",
               "device.shared_hardware", "graph.brand_concentration", "graph.dormant_wake", "graph.lockstep",
               "graph.ring", "ip.shared_accounts"),
    "address": ("device.shared_hardware", "graph.ring", "ip.shared_accounts"),
    "device": ("device.shared_fingerprint", "device.shared_hardware", "graph.ring"),
    "campaign": ("graph.brand_concentration", "graph.lockstep", "timing.campaign_burst"),
}


def muted_codes(signal_code: str, entity_kind: str) -> tuple[str, ...]:
    """The signal codes one mute silences: its own code, or the linkage signals of an allowlist."""
    return LINKAGE_SIGNALS[entity_kind] if signal_code == ALLOWLIST else (signal_code,)


def empty_mutes() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in MUTE_COLUMNS})


def matches(proofs: pd.DataFrame, index: pd.Index, mutes: pd.DataFrame) -> dict[tuple[int, str], int]:
    """(position in `index`, signal code) -> id of the mute that silences it (the oldest, when several do).

    `proofs` holds the targets' entity columns (ENTITY_COLUMNS) and `proof_id`; `index` is the
    rule output's proof ids. One vectorised hash lookup per entity kind, then a loop over the
    matched rows only: online, one proof against a thousand mutes costs well under a millisecond."""
    found: dict[tuple[int, str], int] = {}
    if mutes.empty or len(index) == 0 or proofs.empty:
        return found
    by_kind: dict[str, dict[object, list[tuple[str, int]]]] = {}
    rows = sorted(zip(mutes["mute_id"].astype(int), mutes["signal_code"], mutes["entity_kind"], mutes["entity_value"],
                      strict=True))
    for mute_id, code, kind, value in rows:
        if kind in ENTITY_COLUMNS:
            by_kind.setdefault(kind, {}).setdefault(value, []).extend(
                (c, int(mute_id)) for c in muted_codes(str(code), str(kind)))
    positions = index.get_indexer(proofs["proof_id"].to_numpy(dtype=object))
    for kind, by_value in by_kind.items():
        column = ENTITY_COLUMNS[kind]
        if column not in proofs.columns:
            continue
        values = proofs[column].to_numpy(dtype=object)
        hits = np.flatnonzero(pd.Index(values).isin(list(by_value)) & (positions >= 0))
        for row in hits.tolist():
            for code, mute_id in by_value[values[row]]:
                found.setdefault((int(positions[row]), code), mute_id)
    return found


def apply_mutes(output: RuleOutput, proofs: pd.DataFrame, mutes: pd.DataFrame, config: dict) -> RuleOutput:
    """`output` with the active `mutes` applied to the target proofs in `proofs` (module docstring).
    Returns `output` itself when no mute touches a proof that the rules evaluated."""
    index = output.rule_score.index
    cells = {(p, c): m for (p, c), m in matches(proofs, index, mutes).items() if c in output.scores.columns}
    if not cells:
        return output
    config = validate_config(config)
    scores = output.scores.copy()
    features = output.features.copy()
    before = output.scores.to_numpy(dtype=float)
    by_code: dict[str, list[int]] = {}
    for position, code in cells:
        by_code.setdefault(code, []).append(position)
    owned: dict[str, list[str]] = {}
    for name, owner in output.owners.items():
        owned.setdefault(owner, []).append(name)
    for code, positions in by_code.items():
        scores.iloc[positions, scores.columns.get_loc(code)] = 0.0
        for name in owned.get(code, ()):
            if name in features.columns:
                features.iloc[positions, features.columns.get_loc(name)] = np.nan
    reasons = output.reasons.copy()
    columns = {code: k for k, code in enumerate(output.scores.columns)}
    for position in sorted({p for p, _ in cells}):
        kept, muted = [], []
        for entry in reasons.iat[position]:
            mute_id = cells.get((position, entry["code"]))
            if mute_id is None:
                kept.append(entry)
            else:
                was = float(before[position, columns[entry["code"]]])
                muted.append({**entry, "score": 0.0, "muted_score": round(was, 3), "muted": mute_id})
        reasons.iat[position] = kept + muted
    return replace(output, scores=scores, features=features, reasons=reasons,
                   rule_score=noisy_or(scores, config), hard_hold=hard_hold(scores, config))
