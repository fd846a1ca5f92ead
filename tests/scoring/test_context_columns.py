"""The column-wise full load gives the frame the row-wise loader builds, value for value."""
from __future__ import annotations

import pandas as pd

from app.scoring.services import context as loader
from app.scoring.services.context_queries import PROOF_QUERY
from tests.scoring.test_scoring_service import _world


def test_full_load_equals_the_row_wise_frame(runner, world):
    assert runner.invoke(args=["import", "--no-score", str(_world(world))]).exit_code == 0
    targets = {"h1", "farm2"}
    fast = loader.load_all_context(target_ids=sorted(targets)).proofs
    rows = loader._rows(PROOF_QUERY.order_by(loader.P.c.id))
    slow = loader._with_attributes(rows, targets)
    assert len(fast) == len(rows) > 5 and fast["is_target"].sum() == 2
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)
    for column in fast.select_dtypes(include="object").columns:  # the same Python types, not only equal values
        assert fast[column].map(type).tolist() == slow[column].map(type).tolist(), column
    assert fast["worker_created_at"].notna().all() and fast["campaign_starts_at"].notna().all()


def test_every_decision_read_column_wise_equals_the_row_wise_frame(runner, world):
    from app.scoring.services.context_columns import all_decisions
    from app.scoring.services.context_queries import DECISIONS_QUERY
    from review_rules.context import DECISION_COLUMNS

    assert runner.invoke(args=["import", "--no-score", str(_world(world))]).exit_code == 0
    fast = all_decisions()
    slow = loader._frame(loader._rows(DECISIONS_QUERY), DECISION_COLUMNS, times=("decided_at",))
    assert len(fast) > 0
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)
    for column in ("proof_id", "worker_id", "decision"):
        assert fast[column].map(type).tolist() == slow[column].map(type).tolist(), column
    assert str(fast["decided_at"].dtype) == str(slow["decided_at"].dtype)
