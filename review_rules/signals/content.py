"""Content signals: pasted comments, hollow comments, and screenshots that were not taken for this task."""
from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from review_rules import imagedup, ipintel, textdup
from review_rules.frame import HOUR, ProofFrame, to_seconds
from review_rules.groups import dense, examples, nunique_by, ramp, windowed_groups
from review_rules.params import FloatParam, IntParam
from review_rules.reasons import NOTHING, said
from review_rules.registry import SignalResult, signal


@functools.lru_cache(maxsize=1)
def generic_comments() -> frozenset[str]:
    return frozenset(textdup.normalise(pd.Series(ipintel.data_lines("generic_comments.txt"))).tolist())


def _normalised(frame: ProofFrame) -> pd.Series:
    """textdup.normalise of every row's comment (row by row, so kept across a backtest's chunks)."""
    return frame.shared("normalised_comments", lambda: frame.per_row(
        "normalised_comments", lambda df: textdup.normalise(df["comment_text"])))


@signal("content.comment_duplicate", title="Comment pasted across accounts", weight=0.55,
        params=(IntParam("min_chars", 10, "shorter comments (after removing punctuation and emoji) are not "
                         "compared: short phrases coincide naturally", "chars", minimum=3, maximum=200),
                FloatParam("similarity", 0.5, "estimated Jaccard similarity of character-bigram sets that counts "
                           "as a near-duplicate", minimum=0.2, maximum=1.0),
                IntParam("window_hours", 24, "same-campaign duplicates count within this period", "h",
                         minimum=1, maximum=720),
                IntParam("full_accounts", 4, "other accounts on the same campaign for a full score", minimum=1,
                         maximum=1000)))
def comment_duplicate(frame: ProofFrame, p: dict) -> SignalResult:
    """Other accounts posted the same or a near-identical comment (MinHash over character bigrams;
    small edits, emoji and punctuation ignored) on the same campaign within the window: a ring
    pasting a template. Popular phrases recur across the whole platform, so copies elsewhere are
    only reported (feature comment_dup_accounts_anywhere), not scored."""
    cluster, length = frame.shared(("comment_clusters", p["min_chars"], p["similarity"]),
                                   lambda: textdup.comment_clusters(
                                       _normalised(frame),
                                       p["min_chars"], p["similarity"], normalised=True))
    campaign = frame.codes("campaign_id")
    same, group = windowed_groups(dense(cluster, campaign), frame.worker, frame.submitted, p["window_hours"] * HOUR)
    same_others = np.maximum(same - 1, 0)
    anywhere_others = np.maximum(nunique_by(cluster, frame.worker) - 1, 0)
    score = ramp(same_others, 0, p["full_accounts"])
    text = frame.text("comment_text")

    def explain(rows: np.ndarray) -> list[str]:
        names = examples(group, frame.worker_ids, rows)
        return [said("comment “%(comment)s” near-duplicated by %(others)s other accounts on this campaign within "
                     "%(hours)s h (and %(anywhere)s anywhere): %(accounts)s", comment=str(text[r])[:40],
                     others=same_others[r], hours=p["window_hours"], anywhere=anywhere_others[r], accounts=n)
                for r, n in zip(rows, names, strict=True)]

    return SignalResult(score, explain, {"comment_length": length, "comment_dup_accounts_campaign": same_others,
                                         "comment_dup_accounts_anywhere": anywhere_others})


@signal("content.generic_comment", row_local=True, title="Empty or generic comment on a comment task", weight=0.15,
        params=(IntParam("min_chars", 4, "comments shorter than this (after cleaning) count as generic", "chars",
                         minimum=1, maximum=50),
                FloatParam("generic_score", 0.5, "score for a generic comment (an empty one scores 1)", minimum=0.0,
                           maximum=1.0)))
def generic_comment(frame: ProofFrame, p: dict) -> SignalResult:
    """A comment task answered with nothing, or with a stock phrase from data/generic_comments.txt
    or a very short text: a hollow interaction, weak evidence on its own."""
    is_task = frame.text("action") == "comment"
    clean = _normalised(frame).tolist()
    length = np.fromiter((len(c) if isinstance(c, str) else 0 for c in clean), dtype=np.int64, count=len(clean))
    stock = generic_comments()
    empty = length == 0
    generic = np.fromiter((c in stock for c in clean), dtype=bool, count=len(clean)) | (length < p["min_chars"])
    score = np.where(is_task & empty, 1.0, np.where(is_task & generic, p["generic_score"], 0.0))
    text = frame.text("comment_text")
    return SignalResult(score, lambda rows: [said("comment task submitted without a comment") if empty[r]
                                             else said("generic comment “%(comment)s”", comment=str(text[r]))
                                             for r in rows])


@signal("content.no_screenshot", row_local=True, title="No screenshot", weight=0.1)
def no_screenshot(frame: ProofFrame, p: dict) -> SignalResult:
    """The proof carries no screenshot digest, so nothing shows the task was done."""
    score = (frame.codes("screenshot_sha256") < 0).astype(float)
    return SignalResult(score, lambda rows: [said("no screenshot with the proof")] * len(rows))


@signal("content.screenshot_reuse", title="Screenshot file already used", weight=0.9,
        params=(FloatParam("other_account_score", 0.9, "score when another account's proof has the same file",
                           minimum=0.0, maximum=1.0),
                FloatParam("same_account_score", 0.75, "score when the same account used the file before",
                           minimum=0.0, maximum=1.0)))
def screenshot_reuse(frame: ProofFrame, p: dict) -> SignalResult:
    """The exact screenshot file (sha256) is on another proof. Score 1 when that other proof was
    already approved (paid): with the default hard_hold this forces `hold`."""
    sha = frame.codes("screenshot_sha256")
    row = np.arange(frame.n)  # one row per proof in a context
    proofs_per_file = nunique_by(sha, row)
    accounts = nunique_by(sha, frame.worker)
    approved = _approved(frame)
    approved_per_file = nunique_by(sha, np.where(approved, row, -1))
    approved_elsewhere = approved_per_file - approved.astype(int) > 0
    score = np.where(proofs_per_file < 2, 0.0, np.where(
        approved_elsewhere, 1.0, np.where(accounts >= 2, p["other_account_score"], p["same_account_score"])))

    def explain(rows: np.ndarray) -> list[str]:
        others = examples(sha, frame.ids, rows, limit=4)
        return [said("same screenshot file on %(proofs)s proofs of %(accounts)s accounts%(approved)s: %(others)s",
                     proofs=proofs_per_file[r], accounts=accounts[r], others=o,
                     approved=said(", one already approved") if approved_elsewhere[r] else NOTHING)
                for r, o in zip(rows, others, strict=True)]

    return SignalResult(score, explain, {"screenshot_file_proofs": proofs_per_file,
                                         "screenshot_file_accounts": accounts})


def _approved(frame: ProofFrame) -> np.ndarray:
    """Rows whose latest decision (as of now) is an approval."""
    decisions = frame.context.decisions
    if decisions.empty:
        return np.zeros(frame.n, dtype=bool)
    when = to_seconds(decisions["decided_at"])
    known = when <= frame.now
    order = np.flatnonzero(known)[np.argsort(when[known], kind="stable")]
    keys = frame.decision_keys()
    # each proof's later decisions win; matched by row where the row cache knows them, else by id
    proofs = keys[0][order] if keys is not None else decisions["proof_id"].astype(str).to_numpy()[order]
    last = ~pd.Series(proofs).duplicated(keep="last").to_numpy()
    chosen = proofs[last][decisions["decision"].to_numpy()[order][last] == "approved"]
    if keys is not None:
        out = np.zeros(frame.n, dtype=bool)
        out[chosen[chosen >= 0]] = True
        return out
    approved = pd.Index(chosen)
    return approved.get_indexer(frame.ids) >= 0 if len(approved) else np.zeros(frame.n, dtype=bool)


@signal("content.screenshot_near", title="Near-identical screenshot", weight=0.6,
        params=(IntParam("max_distance", 4, "largest perceptual-hash Hamming distance (of 64 bits) that counts as "
                         "the same picture", "bits", minimum=0, maximum=12),
                FloatParam("single_score", 0.6, "score for one near-identical screenshot of another file",
                           minimum=0.0, maximum=1.0),
                IntParam("full_matches", 3, "other screenshots for a full score", minimum=2, maximum=1000)))
def screenshot_near(frame: ProofFrame, p: dict) -> SignalResult:
    """Other proofs carry a different file whose perceptual hash is within max_distance bits of this
    one: the same picture re-encoded or cropped. Honest screenshots of one room differ by far more."""
    cluster = frame.shared(("phash_clusters", p["max_distance"]), lambda: imagedup.phash_clusters(
        frame.per_row("phash", lambda df: imagedup.parse_phash(df["screenshot_phash"])), p["max_distance"]))
    sha = frame.codes("screenshot_sha256")
    cluster = np.where(sha >= 0, cluster, -1)  # a hash without a screenshot means nothing
    files = nunique_by(cluster, sha)
    others = np.maximum(files - 1, 0)
    accounts = nunique_by(cluster, frame.worker)
    score = np.where(others > 0, p["single_score"] + (1 - p["single_score"]) * ramp(others, 1, p["full_matches"]), 0.0)

    def explain(rows: np.ndarray) -> list[str]:
        listed = examples(cluster, frame.ids, rows, limit=4)
        return [said("%(files)s other screenshot files look the same (perceptual hash within %(bits)s bits), from "
                     "%(accounts)s accounts: %(proofs)s", files=others[r], bits=p["max_distance"],
                     accounts=accounts[r], proofs=o) for r, o in zip(rows, listed, strict=True)]

    return SignalResult(score, explain, {"screenshot_near_files": others, "screenshot_near_accounts": accounts})
