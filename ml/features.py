"""The model's features are the rules engine's output: one feature pipeline, not two.

Signal scores (`RuleOutput.scores`) and the numeric evidence behind them (`RuleOutput.features`)
become one float frame indexed by proof_id. The combined rule score is deliberately not a feature:
it is a fixed function of the signal scores, and a model leaning on it copies the rules' mistakes
(honest VPN users in a shared-exit "ring") and explains every score as "rule_score". The rules'
voice enters the risk through the combination formula instead (review_rules/combine.py).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # review_rules.engine is only needed for the type
    from review_rules.engine import RuleOutput

FEATURE_SUFFIX = "__evidence"  # a numeric feature named like a signal code keeps both, apart


def feature_frame(rule_output: RuleOutput) -> pd.DataFrame:
    """All model inputs for the proofs in `rule_output`, float32, index proof_id."""
    scores = _numeric(rule_output.scores)
    features = _numeric(rule_output.features)
    evidence = [c + FEATURE_SUFFIX if c in scores.columns else c for c in features.columns]
    # One float32 block instead of column-by-column pandas work: scoring a single proof online
    # pays this per request.
    values = np.hstack([scores.to_numpy(dtype=np.float32, na_value=np.nan),
                        features.reindex(scores.index).to_numpy(dtype=np.float32, na_value=np.nan)])
    index = pd.Index(scores.index, name="proof_id")
    return pd.DataFrame(values, index=index, columns=[*map(str, scores.columns), *map(str, evidence)])


def align(frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """The columns a model was trained on, in its order; a feature the engine no longer emits is NaN.
    A frame already in that shape is returned as it is."""
    if list(frame.columns) == list(names) and all(dtype == np.float32 for dtype in frame.dtypes):
        return frame
    return frame.reindex(columns=names).astype(np.float32)


def _numeric(frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers and booleans (as 0/1); anything else is dropped (text is not a model input)."""
    return frame.select_dtypes(include=["number", "bool", "boolean"])


def unseen_signals(meta: dict, codes: list[str]) -> list[str]:
    """Signals the model never saw fire often enough to learn from (none when it kept no record)."""
    support = meta.get("signal_support")
    if support is None:
        return []
    minimum = int(meta.get("min_signal_support", 1))
    return [code for code in codes if support.get(code, 0) < minimum]
