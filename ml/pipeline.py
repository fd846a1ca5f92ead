"""The estimator: a scikit-learn Pipeline built from config, calibrated on a later time slice."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import Pipeline

from ml.config import TrainingConfig


def build_pipeline(feature_names: list[str], config: TrainingConfig) -> Pipeline:
    """Select the named features (in order) and boost trees over them; NaN is handled by the trees."""
    params = config.booster
    select = ColumnTransformer([("features", "passthrough", list(feature_names))], remainder="drop",
                               verbose_feature_names_out=False)
    booster = HistGradientBoostingClassifier(
        max_iter=params.max_iter, learning_rate=params.learning_rate, max_leaf_nodes=params.max_leaf_nodes,
        min_samples_leaf=params.min_samples_leaf, l2_regularization=params.l2_regularization,
        early_stopping=False, random_state=params.random_state,
    )
    return Pipeline([("select", select), ("booster", booster)])


def fit_calibrated(fit_x: pd.DataFrame, fit_y: np.ndarray, cal_x: pd.DataFrame, cal_y: np.ndarray,
                   config: TrainingConfig) -> CalibratedClassifierCV:
    """Fit the trees on the older slice, then map their scores to probabilities on the newer slice."""
    pipeline = build_pipeline(list(fit_x.columns), config).fit(fit_x, fit_y)
    calibrated = CalibratedClassifierCV(FrozenEstimator(pipeline), method=config.calibration_method)
    return calibrated.fit(cal_x, cal_y)
