"""`flask compliance screen FILE`: the linter-like contract of DESIGN.md."""
from __future__ import annotations

import json
import re

from tests import factories as f

LINE = re.compile(r'^(\d+): ([a-z_.]+) (low|medium|high) "(.*)"$')


def _write(tmp_path, name: str, text: str):  # noqa: ANN202
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_plain_text_one_line_per_finding_exit_1(runner, tmp_path):
    text = ("进入直播间点赞，截图提交。\n\n好 评 返 现，不要說是任務\nLeave an honest review.\n"
            'Copy this: "Best "serum" ever, recommend!"\n')
    path = _write(tmp_path, "briefs.txt", text)
    result = runner.invoke(args=["compliance", "screen", str(path)])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    parsed = [LINE.match(line) for line in lines]
    assert all(parsed), lines
    assert {(m.group(1), m.group(2)) for m in parsed} >= {("3", "review.cashback"), ("3", "disclosure.hidden"),
                                                          ("5", "review.template")}
    assert {m.group(1) for m in parsed} == {"3", "5"}  # blank line 2 keeps the numbering; lines 1 and 4 are clean
    assert '3: review.cashback high "好 评 返 现"' in lines
    assert any('\\"' in line for line in lines if line.startswith("5:"))  # quotes inside the quote are escaped


def test_clean_file_exits_0_and_prints_nothing(runner, tmp_path):
    path = _write(tmp_path, "ok.txt", "观看满5分钟并截图。\nShare the stream with a friend.\n")
    result = runner.invoke(args=["compliance", "screen", str(path)])
    assert (result.exit_code, result.output) == (0, "")


def test_jsonl_campaigns_screen_brief_and_reward(runner, tmp_path):
    rows = [f.campaign(id="c1"), f.campaign(id="c2", brief="刷单冲销量，拍下后全额返款"),
            f.campaign(id="c3", action="like", reward_cents=9000, brief="点赞")]
    path = _write(tmp_path, "campaigns.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    result = runner.invoke(args=["compliance", "screen", str(path)])
    assert result.exit_code == 1
    by_line = {}
    for line in result.output.splitlines():
        m = LINE.match(line)
        by_line.setdefault(m.group(1), set()).add(m.group(2))
    assert by_line == {"2": {"order.fake"}, "3": {"reward.above_market"}}


def test_bad_jsonl_line_exits_2_naming_line_and_field(runner, tmp_path):
    rows = [json.dumps(f.campaign(id="c1", brief="好评返现")), json.dumps(f.campaign(id="c2", reward_cents="lots")),
            "{broken"]
    path = _write(tmp_path, "campaigns.jsonl", "\n".join(rows) + "\n")
    result = runner.invoke(args=["compliance", "screen", str(path)])
    assert result.exit_code == 2
    assert "campaigns.jsonl:2: reward_cents:" in result.output
    assert "campaigns.jsonl:3: line: not valid JSON" in result.output
    assert '1: review.cashback high "好评返现"' in result.output


def test_missing_or_binary_file_exits_2(runner, tmp_path):
    assert runner.invoke(args=["compliance", "screen", str(tmp_path / "nope.txt")]).exit_code == 2
    path = tmp_path / "bin.txt"
    path.write_bytes(b"\xff\xfe\x00bad")
    result = runner.invoke(args=["compliance", "screen", str(path)])
    assert result.exit_code == 2 and "not UTF-8" in result.output


def test_draft_default_rules_opens_one_draft_from_the_shipped_file(runner, app):
    from app.compliance.services import screening_rules
    from models import db

    active = screening_rules.active_rule_set()
    active.document = {**active.document, "rules": active.document["rules"][:3]}  # an older, smaller set
    db.session.commit()
    result = runner.invoke(args=["compliance", "draft-default-rules"])
    assert result.exit_code == 0, result.output
    assert "draft version 2:" in result.output and "rule changes" in result.output
    draft = screening_rules.current_draft()
    assert len(draft.document["rules"]) > 3
    again = runner.invoke(args=["compliance", "draft-default-rules"])
    assert again.exit_code == 1 and "is open" in again.output
