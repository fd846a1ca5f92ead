"""Content signals: pasted comments, hollow comments, reused and near-identical screenshots."""
from __future__ import annotations

import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from review_rules import imagedup, textdup
from tests.review_rules.frames import T0, proof, run, scores

TEMPLATE = "主播推荐的精华液太好用了，性价比超高，大家赶紧冲"
EDITS = (TEMPLATE, "主播推荐的精华液超好用了，性价比超高，大家赶紧冲!!",
         "主播推荐的精华液太好用了，性价比超高 大家快冲😍",
         "主播推荐的精华液太好使了，性价比超高，大家赶紧冲呀",
         "主播推荐的精华液太好用了，性价比特别高，大家赶紧冲")


def test_near_duplicate_clusters_survive_small_edits() -> None:
    texts = pd.Series(list(EDITS) + ["今天的直播间背景音乐是什么歌呀", None, "好看"])
    cluster, _ = textdup.comment_clusters(texts, min_chars=10, threshold=0.5)
    assert len(set(cluster[:5])) == 1 and cluster[0] >= 0
    assert cluster[5] not in set(cluster[:5])
    assert cluster[6] == -1 and cluster[7] == -1  # missing and too short are never compared


def test_ring_pasting_a_template_on_one_campaign() -> None:
    ring = [proof(i, comment_text=text) for i, text in enumerate(EDITS)]
    honest = [proof(10 + i) for i in range(5)]
    result = scores(ring + honest, "content.comment_duplicate")
    assert result[[f"p{i}" for i in range(5)]].min() == 1.0
    assert result[[f"p{10 + i}" for i in range(5)]].max() == 0.0


def test_same_text_on_other_campaigns_or_days_is_not_scored() -> None:
    rows = [proof(0, comment_text=TEMPLATE), proof(1, comment_text=TEMPLATE, campaign_id="c2"),
            proof(2, comment_text=TEMPLATE, at=T0 + pd.Timedelta(days=5))]
    output = run(rows)
    assert output.scores["content.comment_duplicate"].max() == 0.0
    assert output.features["comment_dup_accounts_anywhere"].tolist() == [2, 2, 2]


def test_short_phrases_coincide_without_scoring() -> None:
    rows = [proof(i, comment_text="主播好漂亮！！") for i in range(6)]
    assert scores(rows, "content.comment_duplicate").max() == 0.0


@pytest.mark.parametrize(("action", "text", "expected"), [
    ("comment", "这个颜色适合黄皮吗", 0.0),
    ("comment", None, 1.0),
    ("comment", "  👍👍 ", 1.0),  # nothing left after removing emoji and spaces
    ("comment", "支持主播！", 0.5),
    ("comment", "好", 0.5),
    ("like", None, 0.0),  # a like needs no comment
])
def test_generic_or_empty_comment(action: str, text: str | None, expected: float) -> None:
    assert scores([proof(1, action=action, comment_text=text)], "content.generic_comment")["p1"] == expected


def test_no_screenshot() -> None:
    assert scores([proof(1), proof(2, screenshot_sha256=None)], "content.no_screenshot").tolist() == [0.0, 1.0]


def test_screenshot_file_reused_by_another_account() -> None:
    rows = [proof(1, screenshot_sha256="f" * 64), proof(2, screenshot_sha256="f" * 64), proof(3)]
    result = scores(rows, "content.screenshot_reuse")
    assert result.tolist() == [0.9, 0.9, 0.0]


def test_screenshot_file_reused_by_the_same_account() -> None:
    rows = [proof(1, worker_id="w1", screenshot_sha256="f" * 64), proof(2, worker_id="w1", screenshot_sha256="f" * 64)]
    assert scores(rows, "content.screenshot_reuse").tolist() == [0.75, 0.75]


def test_screenshot_already_approved_elsewhere_forces_hold() -> None:
    paid = proof(1, screenshot_sha256="f" * 64, is_target=False)
    again = proof(2, screenshot_sha256="f" * 64, at=T0 + pd.Timedelta(days=2))
    decisions = [{"proof_id": "p1", "worker_id": "w1", "decision": "approved",
                  "decided_at": T0 + pd.Timedelta(days=1)}]
    output = run([paid, again], decisions=decisions)
    assert output.scores.loc["p2", "content.screenshot_reuse"] == 1.0
    assert bool(output.hard_hold["p2"]) is True
    assert "already approved" in output.reasons["p2"][0]["reason"]


@pytest.mark.parametrize(("flips", "expected"), [(0, 0.6), (1, 0.6), (4, 0.6), (9, 0.0)])
def test_near_identical_screenshot_by_hamming_distance(flips: int, expected: float) -> None:
    base = 0x8F3C1E0000FFAA11
    copy = base ^ sum(1 << (7 * k) for k in range(flips))
    rows = [proof(1, screenshot_phash=f"{base:016x}"), proof(2, screenshot_phash=f"{copy:016x}")]
    result = scores(rows, "content.screenshot_near")
    assert result["p1"] == pytest.approx(expected)


def test_same_file_is_reuse_not_a_near_copy() -> None:
    rows = [proof(1, screenshot_sha256="f" * 64), proof(2, screenshot_sha256="f" * 64, screenshot_phash=None)]
    rows[1]["screenshot_phash"] = rows[0]["screenshot_phash"]
    assert scores(rows, "content.screenshot_near").max() == 0.0


def test_phash_parsing_rejects_malformed_values() -> None:
    values, valid = imagedup.parse_phash(pd.Series(["8f3c1e0000ffaa11", "xyz", None, "8F3C1E0000FFAA1"]))
    assert valid.tolist() == [True, False, False, False]
    assert int(values[0]) == 0x8F3C1E0000FFAA11


_HEX16 = re.compile(r"\s*([0-9a-fA-F]{16})\s*")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(
    st.none(), st.integers(0, 2**64 - 1).map(lambda v: f"{v:016x}"),
    st.integers(0, 2**64 - 1).map(lambda v: f"{v:016X}"),
    st.builds(lambda pad, v, tail: f"{pad}{v:016x}{tail}", st.sampled_from(["", " ", "\t", "\u00a0", "\u2003 "]),
              st.integers(0, 2**64 - 1), st.sampled_from(["", "\n", " ", "\u3000", "0", "g"])),
    st.text(alphabet="0123456789abcdefABCDEFgx \u00e9\u0660", min_size=14, max_size=18), st.text(max_size=20))))
def test_phash_parsing_reads_exactly_what_the_pattern_accepts(texts: list) -> None:
    """The vectorised reading against the definition: 16 hex digits, white space around allowed."""
    values, valid = imagedup.parse_phash(pd.Series(texts, dtype=object))
    for k, text in enumerate(texts):
        match = _HEX16.fullmatch(text) if text is not None else None
        assert valid[k] == (match is not None), text
        assert int(values[k]) == (int(match.group(1), 16) if match else 0), text


def test_phash_clusters_chain_within_distance() -> None:
    base = 0x0123456789ABCDEF
    values = pd.Series([f"{v:016x}" for v in (base, base ^ 0b11, base ^ 0b1111 << 20, base ^ (2**40 - 1))])
    cluster = imagedup.phash_clusters(values, max_distance=4)
    assert cluster[0] == cluster[1] == cluster[2] and cluster[3] != cluster[0]
