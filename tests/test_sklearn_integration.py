"""KerasNetClassifier inside scikit-learn's own meta-estimators and tools."""

import numpy as np
import pytest
from sklearn.base import is_classifier
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import StackingClassifier, VotingClassifier
from sklearn.impute import SimpleImputer
from sklearn.inspection import permutation_importance
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    TunedThresholdClassifierCV,
    cross_val_score,
)
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import get_tags

from skprecmed import KerasNetClassifier

from ._helpers import ESTIMATOR_CLASSES, assert_same_search_with_n_jobs, toy_data
from ._instances import fast


def test_is_a_classifier_with_classifier_tags():
    clf = KerasNetClassifier()
    assert is_classifier(clf)
    tags = get_tags(clf)
    assert tags.estimator_type == "classifier"
    assert tags.classifier_tags is not None
    assert not tags.input_tags.allow_nan and not tags.input_tags.sparse


def test_cross_val_roc_auc_is_a_number(cancer):
    X, y = cancer
    scores = cross_val_score(
        KerasNetClassifier(**fast()), X, y, scoring="roc_auc", cv=3, error_score="raise"
    )
    assert not np.isnan(scores).any()
    assert scores.min() > 0.95


def test_calibrated_classifier(cancer):
    X, y = cancer
    calibrated = CalibratedClassifierCV(KerasNetClassifier(**fast()), cv=3).fit(X, y)
    assert len(calibrated.calibrated_classifiers_) == 3
    proba = calibrated.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    assert calibrated.score(X, y) > 0.9


def test_tuned_threshold_classifier(cancer):
    X, y = cancer
    tuned = TunedThresholdClassifierCV(
        KerasNetClassifier(**fast()), scoring="balanced_accuracy", cv=3
    ).fit(X, y)
    assert 0 < tuned.best_threshold_ < 1
    assert tuned.score(X, y) > 0.9


def test_stacking_and_soft_voting(cancer):
    X, y = cancer
    members = [("net", KerasNetClassifier(**fast())), ("nb", GaussianNB())]
    stack = StackingClassifier(members, cv=3).fit(X, y)
    assert stack.score(X, y) > 0.9
    vote = VotingClassifier(members, voting="soft").fit(X, y)
    expected = np.mean([est.predict_proba(X) for est in vote.estimators_], axis=0)
    np.testing.assert_allclose(vote.predict_proba(X), expected)


def test_permutation_importance_finds_informative_features(cancer):
    X, y = cancer
    clf = KerasNetClassifier(**fast()).fit(X, y)
    result = permutation_importance(
        clf, X, y, scoring="roc_auc", n_repeats=3, random_state=0
    )
    assert result.importances_mean.shape == (30,)
    assert result.importances_mean.max() > 0


def test_roc_curve_display(cancer):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from sklearn.metrics import RocCurveDisplay, roc_auc_score

    X, y = cancer
    clf = KerasNetClassifier(**fast()).fit(X, y)
    display = RocCurveDisplay.from_estimator(clf, X, y)
    assert display.roc_auc == pytest.approx(
        roc_auc_score(y, clf.predict_proba(X)[:, 1])
    )


@pytest.mark.slow
def test_grid_search_pipeline_same_result_with_one_or_two_jobs(cancer_raw):
    X, y = cancer_raw
    X = X[::2].copy()
    y = y[::2]
    X[::17, 3] = np.nan  # a missing measurement for the imputer
    pipe = Pipeline(
        [
            ("impute", SimpleImputer()),
            ("scale", StandardScaler()),
            ("net", KerasNetClassifier(**fast(epochs=3))),
        ]
    )
    grid = {
        "net__hidden_layer_sizes": [(4,), (16,)],
        "net__learning_rate_init": [1e-3, 3e-2],
    }
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    search = assert_same_search_with_n_jobs(
        lambda n: GridSearchCV(pipe, grid, scoring="roc_auc", cv=cv, n_jobs=n), X, y
    )
    assert search.best_score_ > 0.9


def test_pipeline_with_imputer_accepts_missing_values(cancer_raw):
    X, y = cancer_raw
    X = X.copy()
    X[::5, 0] = np.nan
    pipe = make_pipeline(
        SimpleImputer(), StandardScaler(), KerasNetClassifier(**fast())
    )
    assert pipe.fit(X, y).score(X, y) > 0.9


@pytest.mark.parametrize("cls", ESTIMATOR_CLASSES, ids=lambda cls: cls.__name__)
def test_cross_validation_and_grid_search_for_every_estimator(cls):
    X, y = toy_data(cls, n=90)
    pipe = make_pipeline(
        StandardScaler(), cls(**fast(epochs=10, learning_rate_init=0.05))
    )
    scores = cross_val_score(pipe, X, y, cv=2, error_score="raise")
    assert np.isfinite(scores).all() and scores.mean() > 0.5
    step = pipe.steps[-1][0]
    search = GridSearchCV(pipe, {f"{step}__hidden_layer_sizes": [(4,), (8,)]}, cv=2)
    search.fit(X, y)
    assert search.best_params_[f"{step}__hidden_layer_sizes"] in [(4,), (8,)]
    assert search.score(X, y) == pytest.approx(search.best_estimator_.score(X, y))
