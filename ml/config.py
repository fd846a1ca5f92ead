"""Training settings in one typed place, validated before any work starts."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


class TrainingConfigError(ValueError):
    """A training setting is out of its bounds."""


@dataclass(frozen=True)
class BoosterParams:
    """HistGradientBoostingClassifier settings; early stopping stays off (it would split rows at random)."""

    # Few, larger steps: as accurate on the simulated worlds as 250 trees at 0.08, and every tree
    # costs time in online scoring (sklearn walks trees one by one, per call).
    max_iter: int = 80
    learning_rate: float = 0.15
    max_leaf_nodes: int = 31
    min_samples_leaf: int = 40
    l2_regularization: float = 1.0
    random_state: int = 7


@dataclass(frozen=True)
class TrainingConfig:
    """How a model is trained, validated and explained."""

    validation_share: float = 0.25  # newest share of labelled proofs (by submitted_at) held out
    calibration_share: float = 0.2  # newest share of the training part used to calibrate
    calibration_method: str = "isotonic"  # or "sigmoid"
    min_labels: int = 200
    min_per_class: int = 20
    max_fpr: float = 0.01  # recall is reported at this false-positive rate
    ece_bins: int = 10
    explain_features: int = 12  # features tried per proof when explaining a score
    explain_top: int = 5  # contributions kept per proof
    importance_rows: int = 4000  # validation rows used to rank features globally
    feature_chunk_hours: float = 24.0  # training features are computed point in time, chunk by chunk
    # The operating point (ml/operating.py): at most this share of honest validation proofs goes to
    # a person by the model's reading, plus at most `novelty_budget` by the novelty floor.
    honest_review_share: float = 0.02
    novelty_budget: float = 0.005
    hold_precision: float = 0.9
    review_capacity_per_day: float | None = None  # proofs a day the reviewers can read; None: no limit
    booster: BoosterParams = field(default_factory=BoosterParams)

    def validate(self) -> TrainingConfig:
        """Raise TrainingConfigError naming the first bad setting; return self otherwise."""
        for name in ("validation_share", "calibration_share"):
            value = getattr(self, name)
            if not 0.05 <= value <= 0.5:
                raise TrainingConfigError(f"{name}={value} must be between 0.05 and 0.5")
        if self.calibration_method not in ("isotonic", "sigmoid"):
            raise TrainingConfigError("calibration_method must be isotonic or sigmoid")
        if self.min_per_class < 2 or self.min_labels < 2 * self.min_per_class:
            raise TrainingConfigError("min_labels must be at least twice min_per_class (>= 2)")
        if not 0 < self.max_fpr < 0.5:
            raise TrainingConfigError("max_fpr must be in (0, 0.5)")
        if not 0.25 <= self.feature_chunk_hours <= 24 * 30:
            raise TrainingConfigError("feature_chunk_hours must be between 0.25 and 720")
        if not 1 <= self.explain_top <= self.explain_features:
            raise TrainingConfigError("explain_top must be between 1 and explain_features")
        if not 0.001 <= self.honest_review_share <= 0.5:
            raise TrainingConfigError("honest_review_share must be between 0.001 and 0.5")
        if not 0.0 <= self.novelty_budget <= 0.2:
            raise TrainingConfigError("novelty_budget must be between 0 and 0.2")
        if not 0.5 <= self.hold_precision < 1.0:
            raise TrainingConfigError("hold_precision must be in [0.5, 1)")
        if self.review_capacity_per_day is not None and self.review_capacity_per_day <= 0:
            raise TrainingConfigError("review_capacity_per_day must be positive")
        return self

    def target(self):  # noqa: ANN201 - ml.operating.OperatingTarget (imported lazily: no cycle)
        from ml.operating import OperatingTarget

        return OperatingTarget(self.honest_review_share, self.novelty_budget, self.hold_precision,
                               self.review_capacity_per_day)

    def as_dict(self) -> dict:
        return asdict(self)
