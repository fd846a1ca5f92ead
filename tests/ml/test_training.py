"""The training core without an app: time split, metrics, promotion rule, explanations, artifacts."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml.evaluate import beats, expected_calibration_error, metrics, recall_at_fpr
from ml.explain import explain, predict_with_shifts
from ml.features import unseen_signals
from ml.predict import predict_proba
from ml.registry import ArtifactError, load_artifact, load_cached, save_artifact
from ml.train import NotEnoughLabels, check_labels, time_split, train
from tests.ml.synthetic import FAST, labelled_set


def test_time_split_puts_every_newer_proof_in_validation():
    data = labelled_set(500)
    shuffled = data.submitted_at.sample(frac=1.0, random_state=3)  # input order must not matter
    older, newer, cut = time_split(shuffled, 0.25)
    assert data.submitted_at.loc[older].max() < cut <= data.submitted_at.loc[newer].min()
    assert len(older) + len(newer) == 500 and not set(older) & set(newer)


def test_time_split_keeps_proofs_with_the_cut_time_together():
    times = pd.Series(pd.to_datetime(["2026-09-01"] * 3 + ["2026-09-02"] * 5, utc=True),
                      index=[f"p{i}" for i in range(8)])
    older, newer, _ = time_split(times, 0.5)
    assert set(older) == {"p0", "p1", "p2"} and len(newer) == 5


def test_trained_model_never_saw_validation_rows():
    data = labelled_set(1200)
    result = train(data, FAST)
    window = result.bundle.meta["data_window"]
    assert window["calibration"]["to"] < window["validation"]["from"]
    assert window["fit"]["to"] < window["calibration"]["from"]
    assert data.submitted_at.loc[result.validation_ids].min().isoformat() == window["validation"]["from"]
    assert result.metrics["pr_auc"] > 0.8 and 0 <= result.metrics["ece"] <= 1


def test_one_class_or_few_labels_are_refused_with_counts():
    data = labelled_set(400)
    with pytest.raises(NotEnoughLabels, match="0 rejected"):
        check_labels(data.labels * 0, FAST)
    with pytest.raises(NotEnoughLabels, match="50 labelled proofs"):
        check_labels(data.labels.iloc[:50], FAST)


def test_recall_at_fpr_and_calibration_error_on_known_cases():
    y = np.array([0] * 100 + [1] * 10)
    p = np.concatenate([np.linspace(0, 0.5, 100), np.full(10, 0.9)])
    assert recall_at_fpr(y, p, 0.01) == 1.0
    p_bad = np.concatenate([np.linspace(0, 0.5, 99), [0.95], np.full(10, 0.9)])
    assert recall_at_fpr(y, p_bad, 0.0) == 0.0
    assert expected_calibration_error(np.array([0, 1]), np.array([0.0, 1.0])) == 0.0
    assert expected_calibration_error(np.array([0, 0]), np.array([0.9, 0.9])) == pytest.approx(0.9)
    assert set(metrics(y, p)) >= {"pr_auc", "roc_auc", "recall_at_fpr", "ece", "brier"}


@pytest.mark.parametrize(("candidate", "incumbent", "expected"), [
    ({"pr_auc": 0.9, "recall_at_fpr": 0.5}, None, True),
    ({"pr_auc": 0.9, "recall_at_fpr": 0.5}, {"pr_auc": 0.8, "recall_at_fpr": 0.9}, True),
    ({"pr_auc": 0.8, "recall_at_fpr": 0.9}, {"pr_auc": 0.9, "recall_at_fpr": 0.5}, False),
    ({"pr_auc": 0.9, "recall_at_fpr": 0.6}, {"pr_auc": 0.9, "recall_at_fpr": 0.5}, True),
    ({"pr_auc": 0.9, "recall_at_fpr": 0.5}, {"pr_auc": 0.9, "recall_at_fpr": 0.5}, False),
])
def test_promotion_needs_a_strictly_better_model(candidate, incumbent, expected):
    assert beats(candidate, incumbent) is expected


def test_explanation_lists_top_contributions_per_proof():
    data = labelled_set(1200)
    bundle = train(data, FAST).bundle
    rows = explain(bundle, data.features.iloc[-40:], top=2, tried=4)
    assert len(rows) == 40
    assert all(len(items) <= 2 for items in rows)
    flat = [item for items in rows for item in items]
    assert flat and set(flat[0]) == {"feature", "value", "contribution"}
    assert all(item["feature"] in bundle.feature_names for item in flat)
    fraud_rows = [items for items, y in zip(rows, data.labels.iloc[-40:], strict=True) if y == 1]
    assert any(item["feature"] == "device.shared_hardware" and item["contribution"] > 0
               for items in fraud_rows for item in items)
    for items in rows:
        sizes = [abs(item["contribution"]) for item in items]
        assert sizes == sorted(sizes, reverse=True)


def test_one_stacked_prediction_gives_the_same_scores_and_explanations():
    data = labelled_set(1200)
    bundle = train(data, FAST).bundle
    features = data.features.iloc[-12:]
    scores, shifts = predict_with_shifts(bundle, features, tried=4)
    alone = predict_proba(bundle, features)
    assert scores.index.equals(alone.index) and np.array_equal(scores.to_numpy(), alone.to_numpy())
    assert shifts.shape == (4, 12) and np.abs(shifts).sum() > 0
    assert explain(bundle, features, top=2, tried=4, base=scores.to_numpy(), shifts=shifts) == \
        explain(bundle, features, top=2, tried=4)


def test_artifact_refuses_a_tampered_file_and_files_outside_the_model_dir(tmp_path):
    bundle = train(labelled_set(600), FAST).bundle
    path, digest = save_artifact(bundle, tmp_path / "models")
    assert load_artifact(path, digest, tmp_path / "models").version == bundle.version
    meta = (tmp_path / "models" / f"{bundle.version}.json").read_text()
    assert digest in meta and "scikit-learn" in meta
    with path.open("ab") as handle:
        handle.write(b"tampered")
    with pytest.raises(ArtifactError, match="does not match"):
        load_cached(bundle.version, path, digest, tmp_path / "models")
    with pytest.raises(ArtifactError, match="outside the model directory"):
        load_artifact(path, digest, tmp_path / "elsewhere")
    with pytest.raises(ArtifactError, match="already exists"):
        save_artifact(bundle, tmp_path / "models")


def test_signal_support_marks_what_the_model_could_not_learn():
    data = labelled_set(900)
    data.features["content.rare"] = np.float32(0.0)
    data.features.iloc[:5, data.features.columns.get_loc("content.rare")] = 1.0
    data.signals = ("ip.hosting_asn", "content.rare")
    bundle = train(data, FAST).bundle
    assert bundle.meta["signal_support"]["content.rare"] == 5
    assert unseen_signals(bundle.meta, ["ip.hosting_asn", "content.rare", "graph.new_signal"]) == [
        "content.rare", "graph.new_signal"]
    assert unseen_signals({}, ["content.rare"]) == []  # a model without the record: no floor
