"""Account signals: age, reputation from past decisions, pace, and accounts born together."""
from __future__ import annotations

import numpy as np
import pandas as pd

from review_rules.frame import DAY, HOUR, ProofFrame, to_seconds
from review_rules.groups import bucket, dense, listing, ramp, windowed_size
from review_rules.linkage import created_gap_days, crowd_pairs
from review_rules.params import FloatParam, IntParam
from review_rules.reasons import said
from review_rules.registry import SignalResult, signal


@signal("account.new", row_local=True, title="Brand-new account", weight=0.12,
        params=(FloatParam("new_days", 1.0, "accounts younger than this score fully", "d", minimum=0.0, maximum=365.0),
                FloatParam("settled_days", 7.0, "accounts older than this score 0", "d", minimum=0.01, maximum=3650.0)),
        order=(("new_days", "settled_days"),))
def new_account(frame: ProofFrame, p: dict) -> SignalResult:
    """How old the account was when the proof was submitted. Farms register accounts in batches
    just before a job; many honest people are new too, so this is weak alone."""
    age = (frame.submitted - frame.worker_created) / DAY
    score = np.where(np.isnan(age), 0.0, 1.0 - ramp(age, p["new_days"], p["settled_days"]))
    return SignalResult(score, lambda rows: [
        said("proof submitted before the account was created") if age[r] < 0 else
        said("account %(hours).0f h old", hours=age[r] * 24) if age[r] < 2 else
        said("account %(days).1f days old", days=age[r]) for r in rows],
        {"account_age_days": age})


def _worker_codes(frame: ProofFrame, worker_ids: np.ndarray) -> np.ndarray:
    """The worker code of each id (-1 for a worker not in the frame), the last row of an id giving it)."""
    known = frame.shared("worker_code_index", lambda: pd.Series(frame.worker, index=frame.worker_ids)
                         .pipe(lambda s: s[~s.index.duplicated(keep="last")]))
    if known.empty:
        return np.full(len(worker_ids), -1, dtype=np.int64)
    at = known.index.get_indexer(worker_ids)
    return np.where(at >= 0, known.to_numpy()[np.maximum(at, 0)], -1).astype(np.int64)


def decayed_history(frame: ProofFrame, half_life_days: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(decisions, decayed decisions, decayed rejections) of each row's worker decided before it was submitted."""
    dec = frame.context.decisions
    verdict = dec["decision"].to_numpy()
    decided = to_seconds(dec["decided_at"])
    counted = ((verdict == "approved") | (verdict == "rejected")) & (decided <= frame.now)
    keys = frame.decision_keys()
    codes = keys[1][counted] if keys is not None else \
        _worker_codes(frame, dec["worker_id"].astype(str).to_numpy()[counted])
    keep = codes >= 0
    worker = codes[keep]
    when = decided[counted][keep]
    rejected = (verdict[counted] == "rejected")[keep].astype(float)
    zeros = np.zeros(frame.n)
    if not len(worker):
        return zeros, zeros, zeros
    tau = half_life_days * DAY / np.log(2)
    order = np.lexsort((when, worker))
    worker, when, rejected = worker[order], when[order], rejected[order]
    weight = np.exp(np.clip((when - frame.now) / tau, -700, 0))
    span = 2.0 ** 36
    base = min(np.nanmin(when), np.nanmin(np.where(np.isnan(frame.submitted), np.inf, frame.submitted)))
    key = worker * span + (when - base)
    row_key = np.maximum(frame.worker, 0) * span + np.nan_to_num(frame.submitted - base, nan=-1.0)
    idx = np.searchsorted(key, row_key, side="left") - 1  # decisions strictly before submission
    mine = (idx >= 0) & (worker[np.maximum(idx, 0)] == frame.worker) & (frame.worker >= 0)
    first = np.searchsorted(worker, worker, side="left")  # start of each worker's run
    cum_all, cum_rej = np.cumsum(weight), np.cumsum(weight * rejected)
    count = np.arange(len(worker)) - first + 1
    start_all = np.where(first > 0, cum_all[np.maximum(first - 1, 0)], 0.0)
    start_rej = np.where(first > 0, cum_rej[np.maximum(first - 1, 0)], 0.0)
    safe = np.maximum(idx, 0)
    rescale = np.exp(np.clip((frame.now - frame.submitted) / tau, 0, 700))
    total = np.where(mine, (cum_all[safe] - start_all[safe]) * rescale, 0.0)
    bad = np.where(mine, (cum_rej[safe] - start_rej[safe]) * rescale, 0.0)
    return np.where(mine, count[safe], 0).astype(float), total, bad


@signal("account.reputation", title="History of rejected proofs", weight=0.7,
        params=(FloatParam("half_life_days", 60.0, "a decision's weight halves after this long", "d", minimum=1.0,
                           maximum=3650.0),
                FloatParam("prior_rate", 0.05, "rejection rate assumed before any decision", minimum=0.0, maximum=1.0),
                FloatParam("prior_weight", 2.0, "how many decisions the prior is worth", minimum=0.0, maximum=100.0),
                FloatParam("min_rate", 0.2, "decayed rejection rate where the score starts", minimum=0.0, maximum=1.0),
                FloatParam("full_rate", 0.6, "rate where the score is full", minimum=0.01, maximum=1.0)),
        order=(("min_rate", "full_rate"),))
def reputation(frame: ProofFrame, p: dict) -> SignalResult:
    """The worker's rejection rate over decisions made before this proof was submitted, each
    decision weighted by exp(-age / tau) (half-life), smoothed toward a prior: a fresh account
    is neither trusted nor suspected, and old mistakes fade."""
    count, total, bad = decayed_history(frame, p["half_life_days"])
    rate = (bad + p["prior_rate"] * p["prior_weight"]) / np.maximum(total + p["prior_weight"], 1e-9)
    score = np.where(count > 0, ramp(rate, p["min_rate"], p["full_rate"]), 0.0)
    return SignalResult(score, lambda rows: [
        said("%(bad).1f of %(total).1f decayed past decisions were rejections (%(count).0f decisions)",
             bad=bad[r], total=total[r], count=count[r]) for r in rows],
        {"worker_decisions": count, "worker_decayed_rejections": bad, "worker_reject_rate": rate})


@signal("account.velocity", title="Too many tasks too fast", weight=0.3,
        params=(IntParam("min_per_hour", 4, "proofs in an hour where the score starts", minimum=1, maximum=1000),
                IntParam("full_per_hour", 10, "proofs in an hour for a full score", minimum=2, maximum=5000),
                IntParam("min_per_day", 15, "proofs in a day where the score starts", minimum=1, maximum=10000),
                IntParam("full_per_day", 40, "proofs in a day for a full score", minimum=2, maximum=50000)),
        order=(("min_per_hour", "full_per_hour"), ("min_per_day", "full_per_day")))
def velocity(frame: ProofFrame, p: dict) -> SignalResult:
    """Proofs the account submitted within an hour and within a day of this one."""
    hour = windowed_size(frame.worker, frame.submitted, HOUR)
    day = windowed_size(frame.worker, frame.submitted, DAY)
    score = np.maximum(ramp(hour, p["min_per_hour"] - 1, p["full_per_hour"]),
                       ramp(day, p["min_per_day"] - 1, p["full_per_day"]))
    return SignalResult(score, lambda rows: [said("%(hour)s proofs within an hour, %(day)s within a day",
                                                  hour=hour[r], day=day[r]) for r in rows],
                        {"worker_proofs_hour": hour, "worker_proofs_day": day})


def _creation_pairs(frame: ProofFrame, p: dict) -> pd.DataFrame:
    """Co-active pairs, looked for only among accounts created in the same period (cheap and selective)."""
    window, created = p["window_minutes"] * 60.0, p["created_within_hours"] * HOUR

    def crowds(campaign: np.ndarray, t: np.ndarray, worker_created: np.ndarray) -> list[np.ndarray]:
        return [dense(campaign, bucket(t, window, act), bucket(worker_created, created, born))
                for act in (0.0, window / 2) for born in (0.0, created / 2)]
    return crowd_pairs(frame, ("created_together", window, created, p["max_crowd"]), crowds, p["max_crowd"],
                       p["min_campaigns"])


def partner_text(frame: ProofFrame, a: np.ndarray, b: np.ndarray, rows: np.ndarray, limit: int = 5) -> list[str]:
    """Up to `limit` partner worker ids of each row's worker, from undirected pairs (a, b) of worker codes."""
    names = np.empty(int(frame.worker.max(initial=-1)) + 1, dtype=object)
    valid = frame.worker >= 0
    names[frame.worker[valid]] = frame.worker_ids[valid]
    return listing(np.concatenate([a, b]), names[np.concatenate([b, a])], frame.worker[rows], limit)


@signal("account.created_together", title="Accounts registered together that act together", weight=0.4,
        params=(IntParam("created_within_hours", 24, "creation times this close count as together", "h",
                         minimum=1, maximum=2160),
                IntParam("window_minutes", 60, "acting on a campaign within this window counts as together", "min",
                         minimum=1, maximum=1440),
                IntParam("min_campaigns", 2, "campaigns shared before a pair counts", minimum=1, maximum=100),
                IntParam("min_partners", 2, "partners where the score starts", minimum=1, maximum=1000),
                IntParam("full_partners", 5, "partners for a full score", minimum=2, maximum=5000),
                IntParam("max_crowd", 150, "crowds larger than this on one campaign window are not paired",
                         minimum=2, maximum=2000)),
        order=(("min_partners", "full_partners"),))
def created_together(frame: ProofFrame, p: dict) -> SignalResult:
    """Other accounts created within hours of this one that also worked the same campaigns in
    the same hour, on several campaigns: a batch of accounts registered and run by one operator."""
    pairs = frame.shared(("created_together", p["window_minutes"], p["created_within_hours"], p["max_crowd"],
                          p["min_campaigns"]),
                         lambda: _creation_pairs(frame, p))
    a, b = pairs["a"].to_numpy(), pairs["b"].to_numpy()
    gap = created_gap_days(frame, a, b)
    close = (pairs["shared"].to_numpy() >= p["min_campaigns"]) & (gap * 24 <= p["created_within_hours"])
    a, b = a[close], b[close]
    partners = np.bincount(np.concatenate([a, b]), minlength=int(frame.worker.max(initial=-1)) + 1)
    count = np.where(frame.worker >= 0, partners[np.maximum(frame.worker, 0)] if len(partners) else 0, 0)
    score = ramp(count, p["min_partners"] - 1, p["full_partners"])
    return SignalResult(score, lambda rows: [
        said("%(count)s accounts created within %(hours)s h of this one worked the same campaigns in the same "
             "hour: %(partners)s", count=count[r], hours=p["created_within_hours"], partners=t)
        for r, t in zip(rows, partner_text(frame, a, b, rows), strict=True)],
        {"created_together_partners": count})
