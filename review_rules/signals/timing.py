"""Timing signals: what the clock says about whether the task was really done, and by whom."""
from __future__ import annotations

import numpy as np

from review_rules.frame import DAY, HOUR, ProofFrame, to_seconds
from review_rules.groups import examples, factorize, group_median, ramp, running_max_by, windowed_groups
from review_rules.params import ChoiceListParam, FloatParam, IntParam
from review_rules.reasons import said
from review_rules.registry import SignalResult, signal

ACTIONS = ("like", "comment", "watch", "follow", "share")
ACTION_WORDS = {"like": said("like"), "comment": said("comment"), "watch": said("watch"), "follow": said("follow"),
                "share": said("share")}  # as a reason names them


def _begin(frame: ProofFrame) -> np.ndarray:
    """When work on the task began: started_at, else accepted_at."""
    return np.where(np.isnan(frame.started), frame.accepted, frame.started)


@signal("timing.impossible_watch", row_local=True, title="Claimed watch time longer than the time taken", weight=0.8,
        params=(IntParam("slack_seconds", 10, "clock tolerance", "s", minimum=0, maximum=600),))
def impossible_watch(frame: ProofFrame, p: dict) -> SignalResult:
    """watch_seconds exceeds the time between starting (or accepting) and submitting, or the
    timestamps are out of order (submitted before accepted, started before accepted)."""
    slack = p["slack_seconds"]
    begin = _begin(frame)
    elapsed = frame.submitted - begin
    watch = frame.number("watch_seconds")
    too_long = watch > elapsed + slack
    disorder = (frame.submitted < frame.accepted - slack) | (frame.started < frame.accepted - slack)
    score = np.nan_to_num((too_long | disorder).astype(float))

    def explain(rows: np.ndarray) -> list[str]:
        return [said("claims %(watch).0f s watched but submitted %(elapsed).0f s after starting", watch=watch[r],
                     elapsed=elapsed[r]) if too_long[r]
                else said("timestamps out of order (submitted or started before accepting)") for r in rows]

    return SignalResult(score, explain, {"elapsed_seconds": frame.submitted - frame.accepted,
                                         "watch_excess_seconds": np.nan_to_num(watch - elapsed, nan=0.0)})


@signal("timing.too_fast", row_local=True, title="Faster than the task allows", weight=0.5,
        params=(IntParam("min_task_seconds", 5, "shortest plausible accept-to-submit time for any task", "s",
                         minimum=0, maximum=600),
                FloatParam("quick_score", 0.5, "score for a task done under min_task_seconds", minimum=0.0,
                           maximum=1.0)))
def too_fast(frame: ProofFrame, p: dict) -> SignalResult:
    """The campaign asks for min_watch_seconds, and the proof claims less, or was submitted sooner
    after accepting than that; any task submitted within min_task_seconds of accepting scores
    quick_score."""
    minimum = frame.number("min_watch_seconds")
    watch = frame.number("watch_seconds")
    elapsed = frame.submitted - frame.accepted
    short_claim = minimum > 0
    short_claim &= watch < minimum
    rushed = (minimum > 0) & (elapsed < minimum)
    quick = elapsed < p["min_task_seconds"]
    score = np.where(short_claim | rushed, 1.0, np.where(quick, p["quick_score"], 0.0))

    def explain(rows: np.ndarray) -> list[str]:
        return [said("campaign requires %(minimum).0f s; claimed %(watch).0f s, submitted %(elapsed).0f s after "
                     "accepting", minimum=minimum[r], watch=watch[r], elapsed=elapsed[r])
                if (short_claim[r] or rushed[r])
                else said("submitted %(elapsed).0f s after accepting", elapsed=elapsed[r]) for r in rows]

    return SignalResult(score, explain)


def session_cover(frame: ProofFrame, begin: np.ndarray, end: np.ndarray, grace: float) -> tuple[np.ndarray, ...]:
    """(overlaps a live session of its room, the room has sessions in the context) per row."""
    sessions = frame.context.sessions
    rooms = factorize(np.concatenate([frame.text("room_id"), sessions["room_id"].to_numpy(dtype=object)]))
    proof_room, session_room = rooms[:frame.n], rooms[frame.n:]
    starts, ends = to_seconds(sessions["starts_at"]), to_seconds(sessions["ends_at"])
    keep = (session_room >= 0) & ~np.isnan(starts) & ~np.isnan(ends)
    session_room, starts, ends = session_room[keep], starts[keep], ends[keep]
    has_sessions = np.isin(proof_room, session_room) & (proof_room >= 0)
    if not len(starts):
        return np.zeros(frame.n, dtype=bool), has_sessions
    order = np.lexsort((starts, session_room))
    session_room, starts, ends = session_room[order], starts[order], ends[order]
    reach = running_max_by(session_room, ends)  # sessions may overlap
    base = min(np.nanmin(starts), np.nanmin(np.where(np.isnan(begin), np.inf, begin)))
    span = 2.0 ** 36
    session_key = session_room * span + (starts - base)
    proof_key = proof_room * span + np.nan_to_num(end + grace - base, nan=0.0)
    idx = np.searchsorted(session_key, proof_key, side="right") - 1
    safe = np.maximum(idx, 0)
    covered = (idx >= 0) & (session_room[safe] == proof_room) & (reach[safe] >= begin - grace)
    unknown = np.isnan(begin) | np.isnan(end)
    return covered | unknown, has_sessions


@signal("timing.outside_session", title="Done while the room was not live", weight=0.25,
        params=(IntParam("grace_minutes", 10, "tolerance before a session starts and after it ends", "min",
                         minimum=0, maximum=240),
                ChoiceListParam("live_actions", ["like", "comment", "watch"], "actions that need the room to be live",
                                choices=ACTIONS),
                FloatParam("other_score", 0.3, "score for other actions (following works offline too)",
                           minimum=0.0, maximum=1.0)))
def outside_session(frame: ProofFrame, p: dict) -> SignalResult:
    """From starting to submitting, the room had no live session (with the grace period). A like,
    comment or watch needs the broadcast; rooms without any known session are not judged."""
    covered, has_sessions = session_cover(frame, _begin(frame), frame.submitted, p["grace_minutes"] * 60.0)
    action = frame.text("action")
    live = np.isin(action, p["live_actions"])
    score = np.where(has_sessions & ~covered, np.where(live, 1.0, p["other_score"]), 0.0)
    room = frame.text("room_id")
    return SignalResult(score, lambda rows: [said("%(action)s done while room %(room)s was not live",
                                                  action=ACTION_WORDS.get(action[r], action[r]), room=room[r])
                                             for r in rows])


@signal("timing.campaign_burst", title="Burst of accounts on one campaign", weight=0.3,
        params=(IntParam("window_seconds", 120, "burst width", "s", minimum=10, maximum=7200),
                IntParam("min_accounts", 6, "accounts in the burst where the score starts", minimum=2, maximum=1000),
                IntParam("full_accounts", 15, "accounts where the score is full", minimum=3, maximum=5000),
                FloatParam("min_ratio", 3.0, "burst size over the campaign's usual crowd where the score starts",
                           minimum=1.0, maximum=100.0),
                FloatParam("full_ratio", 8.0, "ratio where the score is full", minimum=1.5, maximum=1000.0)),
        order=(("min_accounts", "full_accounts"), ("min_ratio", "full_ratio")))
def campaign_burst(frame: ProofFrame, p: dict) -> SignalResult:
    """Many distinct accounts accepted the same campaign within seconds of each other, far more
    than the campaign's usual crowd in such a window (its median): viewers who all join at the
    same moment are driven by one hand."""
    campaign = frame.codes("campaign_id")
    crowd, group = windowed_groups(campaign, frame.worker, frame.accepted, float(p["window_seconds"]))
    usual = group_median(campaign, crowd)
    ratio = crowd / np.maximum(np.nan_to_num(usual, nan=1.0), 1.0)
    score = ramp(crowd, p["min_accounts"] - 1, p["full_accounts"]) * ramp(ratio, p["min_ratio"], p["full_ratio"])
    campaign_ids = frame.text("campaign_id")
    return SignalResult(score, lambda rows: [
        said("%(crowd)s accounts accepted campaign %(campaign)s within %(seconds)s s (usually %(usual).0f): "
             "%(names)s", crowd=crowd[r], campaign=campaign_ids[r], seconds=p["window_seconds"], usual=usual[r],
             names=n) for r, n in zip(rows, examples(group, frame.worker_ids, rows), strict=True)],
        {"campaign_burst_accounts": crowd, "campaign_burst_ratio": ratio})


def _per_worker_intervals(frame: ProofFrame,
                          max_gap: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(count, mean, coefficient of variation) of each row's worker's inter-submission gaps
    (only gaps up to `max_gap` seconds, when given)."""
    worker, t = frame.worker, frame.submitted
    order = np.lexsort((t, worker))
    w_sorted, t_sorted = worker[order], t[order]
    same = (w_sorted[1:] == w_sorted[:-1]) & (w_sorted[1:] >= 0) & ~np.isnan(t_sorted[1:]) & ~np.isnan(t_sorted[:-1])
    if max_gap is not None:
        same &= np.diff(t_sorted) <= max_gap
    gaps = np.diff(t_sorted)[same]
    owner = w_sorted[1:][same]
    size = int(worker.max(initial=-1)) + 1
    count = np.bincount(owner, minlength=size).astype(float)
    total = np.bincount(owner, weights=gaps, minlength=size)
    squares = np.bincount(owner, weights=gaps * gaps, minlength=size)
    mean = total / np.maximum(count, 1)
    std = np.sqrt(np.maximum(squares / np.maximum(count, 1) - mean * mean, 0.0))
    cv = np.where(mean > 0, std / np.maximum(mean, 1e-9), np.nan)
    pick = np.maximum(worker, 0)
    valid = worker >= 0
    return (np.where(valid, count[pick], 0.0) if size else np.zeros(frame.n),
            np.where(valid, mean[pick], np.nan) if size else np.full(frame.n, np.nan),
            np.where(valid, cv[pick], np.nan) if size else np.full(frame.n, np.nan))


@signal("timing.regular_intervals", title="Submissions on a timer", weight=0.55,
        params=(IntParam("min_intervals", 6, "gaps needed before judging", minimum=2, maximum=1000),
                FloatParam("regular_cv", 0.1, "coefficient of variation at or below which the score is full",
                           minimum=0.0, maximum=1.0),
                FloatParam("human_cv", 0.35, "coefficient of variation at or above which the score is 0",
                           minimum=0.01, maximum=5.0),
                IntParam("max_mean_gap_hours", 6, "only gaps this short on average are judged (a daily habit is "
                         "human)", "h", minimum=1, maximum=720),
                IntParam("session_break_minutes", 120, "a longer gap is a break between sessions, not part of the "
                         "rhythm", "min", minimum=1, maximum=100_000)),
        order=(("regular_cv", "human_cv"),))
def regular_intervals(frame: ProofFrame, p: dict) -> SignalResult:
    """The gaps between one account's submissions barely vary (coefficient of variation of the
    gaps within its sessions), as when a script submits every N minutes. A script that runs in
    sessions still keeps its rhythm inside each; people are irregular."""
    count, mean, cv = _per_worker_intervals(frame, max_gap=p["session_break_minutes"] * 60.0)
    judged = (count >= p["min_intervals"]) & (mean <= p["max_mean_gap_hours"] * HOUR)
    score = np.where(judged, ramp(p["human_cv"] - cv, 0.0, p["human_cv"] - p["regular_cv"]), 0.0)
    return SignalResult(score, lambda rows: [
        said("%(gaps).0f gaps between submissions average %(minutes).1f min and vary by only %(spread).0f%%",
             gaps=count[r], minutes=mean[r] / 60, spread=100 * cv[r]) for r in rows],
        {"worker_gap_count": count, "worker_gap_cv": cv})


def quiet_share(frame: ProofFrame, hours: int) -> tuple[np.ndarray, np.ndarray]:
    """(proofs, share of them in the account's quietest `hours`-hour stretch of the day) per row.

    The stretch is found over all 24 rotations of the hour-of-day histogram, so no time zone is
    needed: a person sleeps somewhere in the day, wherever they live and whatever room they watch.
    """
    n_workers = int(frame.worker.max(initial=-1)) + 1
    if not n_workers:
        return np.zeros(frame.n), np.zeros(frame.n)
    hour = np.floor((frame.submitted % DAY) / HOUR)
    valid = (frame.worker >= 0) & ~np.isnan(hour)
    cells = np.bincount(frame.worker[valid] * 24 + hour[valid].astype(np.int64), minlength=n_workers * 24)
    per_hour = cells.reshape(n_workers, 24).astype(float)
    wrapped = np.concatenate([per_hour, per_hour[:, :hours - 1]], axis=1)
    running = np.cumsum(np.concatenate([np.zeros((n_workers, 1)), wrapped], axis=1), axis=1)
    stretch = (running[:, hours:hours + 24] - running[:, :24]).min(axis=1)
    total = per_hour.sum(axis=1)
    share = np.where(total > 0, stretch / np.maximum(total, 1), 0.0)
    pick = np.maximum(frame.worker, 0)
    return np.where(frame.worker >= 0, total[pick], 0.0), np.where(frame.worker >= 0, share[pick], 0.0)


@signal("timing.round_the_clock", title="Active round the clock", weight=0.45,
        params=(IntParam("min_proofs", 10, "proofs needed before judging", minimum=3, maximum=10000),
                IntParam("quiet_hours", 6, "length of the stretch a person sleeps", "h", minimum=1, maximum=12),
                FloatParam("min_share", 0.1, "share of proofs in the quietest stretch where the score starts",
                           minimum=0.0, maximum=1.0),
                FloatParam("full_share", 0.2, "share for a full score", minimum=0.01, maximum=1.0)),
        order=(("min_share", "full_share"),))
def round_the_clock(frame: ProofFrame, p: dict) -> SignalResult:
    """Even the account's quietest stretch of the day (quiet_hours long, wherever it falls) holds
    a good share of its proofs. People sleep; a script runs at an even rate (6 of 24 hours is 25%)."""
    proofs, share = quiet_share(frame, p["quiet_hours"])
    score = np.where(proofs >= p["min_proofs"], ramp(share, p["min_share"], p["full_share"]), 0.0)
    return SignalResult(score, lambda rows: [
        said("even its quietest %(hours)s hours of the day hold %(share).0f%% of the account's %(proofs).0f proofs",
             hours=p["quiet_hours"], share=100 * share[r], proofs=proofs[r]) for r in rows],
        {"worker_quiet_share": share, "worker_proofs": proofs})
