"""The direct path through a trained model gives scikit-learn's probabilities, or is not used."""
from __future__ import annotations

import weakref

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from ml import direct
from ml.direct import direct_path
from ml.features import align
from ml.predict import SMALL_BATCH, probabilities
from ml.train import train
from tests.ml.synthetic import FAST, labelled_set


def _trained():  # noqa: ANN202 - (bundle, its later rows in training order)
    data = labelled_set(1200)
    bundle = train(data, FAST).bundle
    return bundle, align(data.features.iloc[-60:], bundle.feature_names)


def test_a_trained_model_takes_the_direct_path_with_identical_probabilities():
    bundle, rows = _trained()
    direct = direct_path(bundle.estimator, bundle.feature_names, rows.to_numpy())
    assert direct is not None
    with_missing = rows.copy()
    with_missing.iloc[::3, 1] = np.nan
    for frame in (rows, with_missing, rows.iloc[:1]):
        expected = bundle.estimator.predict_proba(frame)[:, 1]
        assert np.array_equal(direct(frame.to_numpy(dtype=np.float32)), expected)
        assert np.array_equal(probabilities(bundle.estimator, frame), expected)


def test_another_column_order_or_estimator_keeps_the_generic_path():
    bundle, rows = _trained()
    shuffled = list(reversed(bundle.feature_names))
    assert direct_path(bundle.estimator, shuffled, rows[shuffled].to_numpy()) is None
    assert np.array_equal(probabilities(bundle.estimator, rows[shuffled]),
                          bundle.estimator.predict_proba(rows[shuffled])[:, 1])
    plain = LogisticRegression().fit(rows.fillna(0.0), np.arange(len(rows)) % 2)
    assert direct_path(plain, list(rows.columns), rows.fillna(0.0).to_numpy()) is None
    assert np.allclose(probabilities(plain, rows.fillna(0.0)), plain.predict_proba(rows.fillna(0.0))[:, 1])


def test_a_direct_path_that_disagrees_with_scikit_learn_is_refused(monkeypatch):
    bundle, rows = _trained()
    other = train(labelled_set(1200, seed=5, strength=1.0), FAST).bundle  # other trees, same columns
    other_parts = direct._parts(other.estimator, other.feature_names)
    monkeypatch.setattr(direct, "_parts", lambda estimator, names: other_parts)
    monkeypatch.setattr(direct, "_known", weakref.WeakKeyDictionary())  # training already used the true path
    assert direct.direct_path(bundle.estimator, list(bundle.feature_names), rows.to_numpy()) is None
    assert np.array_equal(probabilities(bundle.estimator, rows), bundle.estimator.predict_proba(rows)[:, 1])


def test_large_inputs_skip_the_direct_path():
    bundle, rows = _trained()
    many = pd.DataFrame(np.repeat(rows.to_numpy(), SMALL_BATCH // len(rows) + 1, axis=0)[:SMALL_BATCH + 1],
                        columns=rows.columns)
    assert np.array_equal(probabilities(bundle.estimator, many), bundle.estimator.predict_proba(many)[:, 1])
