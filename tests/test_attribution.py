"""Attributions add up to the change of the estimator's own prediction."""

import numpy as np
import pytest
from sklearn.datasets import load_diabetes

from skprecmed import (
    KerasNetClassifier,
    KerasNetDiscreteTimeSurvivalAnalysis,
    KerasNetRegressor,
    KerasNetSurvivalAnalysis,
    feature_attributions,
)

from ._instances import fast


def _change(predict, X):
    """The prediction for each row of X minus the baseline's (zeros)."""
    values = predict(np.vstack([X, np.zeros_like(X)]))
    return values[: len(X)] - values[len(X) :]


@pytest.mark.parametrize("members", [1, 3])
def test_a_classifiers_attributions_add_up_to_its_probability(cancer, members):
    X, y = cancer
    clf = KerasNetClassifier(**fast(ensemble_size=members)).fit(X, y)
    scores = feature_attributions(clf, X[:6], steps=256)
    change = _change(lambda Z: clf.predict_proba(Z)[:, 1], X[:6])
    # an ensemble explains its members' mean, not its first member
    np.testing.assert_allclose(scores.sum(axis=1), change, atol=0.003)


@pytest.mark.parametrize("members", [1, 3])
def test_a_regressors_attributions_are_in_the_units_of_y(members):
    X, y = load_diabetes(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    reg = KerasNetRegressor(**fast(ensemble_size=members, epochs=20)).fit(X, y)
    scores = feature_attributions(reg, X[:6], steps=256)
    change = _change(reg.predict, X[:6])
    assert np.abs(change).max() > 20  # y is in the tens to hundreds
    np.testing.assert_allclose(scores.sum(axis=1), change, atol=0.5)


def test_a_cox_ensembles_attributions_add_up_to_its_log_risk(whas_scaled):
    X, y = whas_scaled
    cox = KerasNetSurvivalAnalysis(**fast(ensemble_size=3)).fit(X, y)
    scores = feature_attributions(cox, X[:6], steps=256)
    np.testing.assert_allclose(
        scores.sum(axis=1), _change(cox.predict, X[:6]), atol=0.003
    )


def test_a_discrete_ensemble_explains_its_survival_at_a_horizon(whas_scaled):
    X, y = whas_scaled
    model = KerasNetDiscreteTimeSurvivalAnalysis(**fast(ensemble_size=3)).fit(X, y)
    horizon = float(model.time_grid_[4])

    def survival(Z):
        return np.array([f(horizon) for f in model.predict_survival_function(Z)])

    scores = feature_attributions(model, X[:6], horizon=horizon, steps=256)
    np.testing.assert_allclose(scores.sum(axis=1), _change(survival, X[:6]), atol=0.002)
