"""docs/rules.md carries the catalogue generated from the registry; a changed signal must update it."""
from __future__ import annotations

from pathlib import Path

from review_rules.catalogue import catalogue_markdown
from review_rules.registry import all_signals

DOC = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


def test_docs_catalogue_matches_the_registry() -> None:
    text = DOC.read_text(encoding="utf-8")
    embedded = text.split("<!-- catalogue:start -->\n", 1)[1].split("<!-- catalogue:end -->", 1)[0]
    assert embedded == catalogue_markdown(), "run `python -m review_rules.catalogue` and paste it into docs/rules.md"
    for spec in all_signals():
        assert f"`{spec.code}`" in embedded
