"""Graph signals: rings of linked accounts, brands fed by one ring, accounts acting in lockstep, and
dormant accounts waking together."""
from __future__ import annotations

import numpy as np

from review_rules.frame import DAY
from review_rules.groups import bucket, dense, examples, nunique_by, ramp, size_by
from review_rules.linkage import activity_time, co_activity, components, pair_counts, ring_labels, worker_campaigns
from review_rules.params import FloatParam, IntParam
from review_rules.reasons import said
from review_rules.registry import SignalResult, signal
from review_rules.signals.account import partner_text

RING_PARAMS = (
    IntParam("hardware_hours", 24, "identical hardware on one /24 links accounts within this period", "h",
             minimum=1, maximum=720),
    IntParam("address_min_days", 2, "a (non-VPN) address links accounts that each used it on this many days",
             "d", minimum=1, maximum=60),
    IntParam("gateway_accounts", 25, "an address used by more accounts than this is a gateway, not a link",
             minimum=2, maximum=10000),
    IntParam("carrier_gateway_accounts", 6, "the same on mobile-carrier / CGNAT networks (a household at most)",
             minimum=2, maximum=10000),
)


def _rings(frame, p: dict) -> np.ndarray:  # noqa: ANN001 - ProofFrame
    names = ("hardware_hours", "address_min_days", "gateway_accounts", "carrier_gateway_accounts")
    return frame.shared(("rings", *(p[n] for n in names)), lambda: ring_labels(frame, *(p[n] for n in names)))


@signal("graph.ring", title="Account in a ring of linked accounts", weight=0.6,
        params=RING_PARAMS + (IntParam("min_accounts", 3, "ring size where the score starts", minimum=2, maximum=1000),
                              IntParam("full_accounts", 10, "ring size for a full score", minimum=3, maximum=100000)),
        order=(("min_accounts", "full_accounts"),))
def ring(frame, p: dict) -> SignalResult:  # noqa: ANN001 - ProofFrame
    """Accounts connected through shared fingerprints, phone numbers, identical hardware on the
    same /24 and home addresses used on several days (connected components of the account-evidence
    graph). Carrier NAT and VPN exits are not links, so strangers behind one address stay apart."""
    label = _rings(frame, p)
    size = nunique_by(label, frame.worker)
    score = ramp(size, p["min_accounts"] - 1, p["full_accounts"])
    return SignalResult(score, lambda rows: [
        said("linked by devices, hardware or addresses to a ring of %(accounts)s accounts: %(names)s",
             accounts=size[r], names=n) for r, n in zip(rows, examples(label, frame.worker_ids, rows), strict=True)],
        {"ring_accounts": size, "ring_proofs": size_by(label)})


@signal("graph.brand_concentration", title="Brand's completions come from one ring", weight=0.45,
        params=RING_PARAMS + (
            IntParam("min_ring", 3, "smallest ring considered", minimum=2, maximum=1000),
            IntParam("min_proofs", 20, "a brand or campaign needs this many proofs before its mix is judged",
                     minimum=2, maximum=100000),
            FloatParam("min_share", 0.15, "ring's share of the brand's (or campaign's) proofs where the score "
                       "starts", minimum=0.0, maximum=1.0),
            FloatParam("full_share", 0.5, "share for a full score", minimum=0.01, maximum=1.0)),
        order=(("min_share", "full_share"),))
def brand_concentration(frame, p: dict) -> SignalResult:  # noqa: ANN001 - ProofFrame
    """The proof's ring supplies a large share of its brand's (or campaign's) completions: the
    brand is paying its own ring (collusion), or a ring is farming that campaign."""
    label = _rings(frame, p)
    ring_ok = nunique_by(label, frame.worker) >= p["min_ring"]
    label = np.where(ring_ok, label, -1)
    shares = []
    for column in ("brand_id", "campaign_id"):
        owner = frame.codes(column)
        total = size_by(owner)
        share = np.where(total >= p["min_proofs"], size_by(dense(owner, label)) / np.maximum(total, 1), 0.0)
        shares.append(np.where(label >= 0, share, 0.0))
    brand_share, campaign_share = shares
    score = ramp(np.maximum(brand_share, campaign_share), p["min_share"], p["full_share"])
    brand = frame.text("brand_id")
    return SignalResult(score, lambda rows: [
        said("this account's ring made %(brand_share).0f%% of brand %(brand)s's proofs and %(campaign_share).0f%% "
             "of the campaign's", brand_share=100 * brand_share[r], brand=brand[r],
             campaign_share=100 * campaign_share[r]) for r in rows],
        {"ring_brand_share": brand_share, "ring_campaign_share": campaign_share})


@signal("graph.lockstep", title="Accounts acting in lockstep", weight=0.6,
        params=(IntParam("window_minutes", 10, "acting on a campaign within this window counts as together", "min",
                         minimum=1, maximum=240),
                IntParam("min_campaigns", 3, "campaigns a pair must share", minimum=2, maximum=1000),
                FloatParam("min_similarity", 0.3, "shared campaigns over all campaigns of the pair (Jaccard)",
                           minimum=0.0, maximum=1.0),
                IntParam("min_partners", 2, "lockstep partners where the score starts", minimum=1, maximum=1000),
                IntParam("full_partners", 5, "partners for a full score", minimum=2, maximum=10000),
                IntParam("max_crowd", 100, "crowds larger than this on one campaign window are not paired",
                         minimum=2, maximum=2000)),
        order=(("min_partners", "full_partners"),))
def lockstep(frame, p: dict) -> SignalResult:  # noqa: ANN001 - ProofFrame
    """Pairs of accounts that took the same campaigns within the same minutes, again and again
    (SynchroTrap / CrowdTarget): shared campaigns >= min_campaigns and a Jaccard similarity of
    their campaign sets >= min_similarity. Rings with clean devices and addresses still move together."""
    pairs = frame.shared(("co_activity", p["window_minutes"], p["max_crowd"], p["min_campaigns"]),
                         lambda: co_activity(frame, p["window_minutes"] * 60.0, p["max_crowd"], p["min_campaigns"]))
    a, b, shared = pairs["a"].to_numpy(), pairs["b"].to_numpy(), pairs["shared"].to_numpy()
    campaigns = worker_campaigns(frame)
    similarity = shared / np.maximum(campaigns[a] + campaigns[b] - shared, 1) if len(a) else np.zeros(0)
    strong = (shared >= p["min_campaigns"]) & (similarity >= p["min_similarity"])
    a, b = a[strong], b[strong]
    n_workers = len(campaigns)
    partners = np.bincount(np.concatenate([a, b]), minlength=n_workers)
    group = components(a, b, n_workers) if n_workers else np.zeros(0, dtype=np.int64)
    group_size = np.bincount(group, minlength=n_workers)[group] if n_workers else group
    valid = frame.worker >= 0
    pick = np.maximum(frame.worker, 0)
    count = np.where(valid, partners[pick], 0) if n_workers else np.zeros(frame.n)
    size = np.where(valid & (count > 0), group_size[pick], 0) if n_workers else np.zeros(frame.n)
    score = ramp(count, p["min_partners"] - 1, p["full_partners"])
    return SignalResult(score, lambda rows: [
        said("took %(campaigns)s+ of the same campaigns within %(minutes)s min as %(count)s accounts (lockstep "
             "group of %(size)s): %(partners)s", campaigns=p["min_campaigns"], minutes=p["window_minutes"],
             count=count[r], size=size[r], partners=t)
        for r, t in zip(rows, partner_text(frame, a, b, rows), strict=True)],
        {"lockstep_partners": count, "lockstep_group": size})


def waking_rows(frame, min_age_days: float, dormant_days: float, wake_days: float,  # noqa: ANN001 - ProofFrame
                max_wake_proofs: int) -> tuple[np.ndarray, np.ndarray]:
    """(waking, idle days before the wake) per row: the account was at least `min_age_days` old and
    idle for `dormant_days` before a proof at most `wake_days` earlier (or this one), and has made at
    most `max_wake_proofs` proofs since. Before its first proof in view an account counts as idle
    only from its creation or the start of the view, whichever is later; the proof cap keeps busy
    accounts, whose oldest rows the context may have cut off, from looking freshly woken."""
    t, worker = frame.submitted, frame.worker
    order = np.lexsort((t, worker))
    ws, ts = worker[order], t[order]
    first = np.r_[True, ws[1:] != ws[:-1]] if len(ws) else np.zeros(0, dtype=bool)
    view_start = np.nanmin(t) if len(t) and not np.all(np.isnan(t)) else 0.0
    since_known = ts - np.fmax(frame.worker_created[order], view_start)
    idle = np.where(first, since_known, np.r_[np.inf, np.diff(ts)])
    age = (ts - frame.worker_created[order]) / DAY
    starts = (idle >= dormant_days * DAY) & (age >= min_age_days) & (ws >= 0)
    # the newest wake start at or before each row of the same account, and rows since it
    position = np.arange(len(ts))
    last_start = np.maximum.accumulate(np.where(starts, position, -1)) if len(ts) else position
    run_start = np.maximum.accumulate(np.where(first, position, 0)) if len(ts) else position
    valid = last_start >= run_start
    anchor = np.maximum(last_start, 0)
    waking_sorted = valid & (ts - ts[anchor] <= wake_days * DAY) & (position - anchor < max_wake_proofs)
    waking, idle_days = np.zeros(len(t), dtype=bool), np.zeros(len(t))
    waking[order] = waking_sorted
    idle_days[order] = np.where(waking_sorted, idle[anchor] / DAY, 0.0)
    return waking, idle_days


@signal("graph.dormant_wake", title="Dormant accounts waking together", weight=0.5,
        params=(FloatParam("min_age_days", 30.0, "accounts at least this old can be dormant", "d",
                           minimum=1.0, maximum=3650.0),
                FloatParam("dormant_days", 14.0, "idle this long before a proof counts as waking", "d",
                           minimum=1.0, maximum=365.0),
                FloatParam("wake_days", 3.0, "proofs this soon after waking count as waking", "d",
                           minimum=0.1, maximum=60.0),
                IntParam("max_wake_proofs", 30, "an account with more proofs since waking is simply active",
                         minimum=1, maximum=10000),
                IntParam("window_minutes", 60, "waking on a campaign within this window counts as together", "min",
                         minimum=1, maximum=1440),
                IntParam("min_campaigns", 2, "campaigns two waking accounts must share", minimum=1, maximum=100),
                IntParam("min_partners", 2, "waking partners where the score starts", minimum=1, maximum=1000),
                IntParam("full_partners", 5, "partners for a full score", minimum=2, maximum=10000),
                IntParam("max_crowd", 150, "crowds larger than this on one campaign window are not paired",
                         minimum=2, maximum=2000)),
        order=(("min_partners", "full_partners"),))
def dormant_wake(frame, p: dict) -> SignalResult:  # noqa: ANN001 - ProofFrame
    """Aged accounts that sat idle for weeks and wake up together: each took several of the same
    campaigns in the same hour as other freshly woken accounts. Every per-proof trait of such an
    account looks honest (old, quiet, clean device); only the synchrony gives the stock away.
    A promotion's new accounts are not aged, and honest returners do not wake on the same
    campaigns hour by hour."""
    waking, idle_days = waking_rows(frame, p["min_age_days"], p["dormant_days"], p["wake_days"],
                                    p["max_wake_proofs"])
    campaign, t = frame.codes("campaign_id"), activity_time(frame)
    window = p["window_minutes"] * 60.0
    groups = [np.where(waking, dense(campaign, bucket(t, window, offset)), -1) for offset in (0.0, window / 2)]
    pairs = pair_counts(frame, groups, p["max_crowd"], p["min_campaigns"])
    strong = pairs["shared"].to_numpy() >= p["min_campaigns"]
    a, b = pairs["a"].to_numpy()[strong], pairs["b"].to_numpy()[strong]
    partners = np.bincount(np.concatenate([a, b]), minlength=int(frame.worker.max(initial=-1)) + 1)
    count = np.where(waking & (frame.worker >= 0), partners[np.maximum(frame.worker, 0)] if len(partners) else 0, 0)
    score = ramp(count, p["min_partners"] - 1, p["full_partners"])
    return SignalResult(score, lambda rows: [
        said("woke after %(idle).0f idle days together with %(count)s other dormant accounts on the same "
             "campaigns: %(partners)s", idle=idle_days[r], count=count[r], partners=n)
        for r, n in zip(rows, partner_text(frame, a, b, rows), strict=True)],
        {"dormant_wake_partners": count, "dormant_idle_days": idle_days})
