"""recommend_treatment on simulated trials where the best treatment is known."""

import numpy as np
import pytest
from sksurv.util import Surv

from skprecmed import KerasNetClassifier, KerasNetSurvivalAnalysis, recommend_treatment


def _trial(n=2000, seed=0):
    """A randomised trial: treatment 1 helps marker-positive patients only."""
    rng = np.random.RandomState(seed)
    marker = rng.normal(size=n)
    age = rng.normal(size=n)
    treated = rng.randint(2, size=n).astype(float)
    effect = np.where(marker > 0, -1.0, 1.0)  # log hazard ratio of treatment 1
    log_hazard = 0.5 * age + effect * treated
    best = (marker > 0).astype(float)
    return np.column_stack([marker, age, treated]), log_hazard, best, rng


def test_survival_recommendations_match_the_truth():
    X, log_hazard, best, rng = _trial()
    time = rng.exponential(1 / np.exp(log_hazard))
    censor = rng.exponential(2.0, size=len(time))
    y = Surv.from_arrays(time <= censor, np.minimum(time, censor))
    model = KerasNetSurvivalAnalysis(
        hidden_layer_sizes=(16,),
        epochs=60,
        batch_size=256,
        learning_rate_init=0.01,
        random_state=0,
    ).fit(X, y)
    result = recommend_treatment(model, X, treatment=2)
    np.testing.assert_array_equal(result.options, [0.0, 1.0])
    assert np.mean(result.recommended == best) > 0.8
    # the predicted gain is zero for patients already on the recommendation
    on_best = result.current == result.recommended
    assert np.all(result.risk_difference[on_best] == 0)
    assert np.all(result.risk_difference[~on_best] < 0)


def test_classifier_recommendations_match_the_truth_with_a_dataframe():
    pd = pytest.importorskip("pandas")
    X, log_hazard, best, rng = _trial(seed=1)
    y = rng.uniform(size=len(X)) < 1 / (1 + np.exp(-log_hazard))
    frame = pd.DataFrame(X, columns=["marker", "age", "drug"])
    model = KerasNetClassifier(
        hidden_layer_sizes=(16,),
        epochs=40,
        batch_size=128,
        learning_rate_init=0.01,
        random_state=0,
    ).fit(frame, np.where(y, "relapse", "remission"))
    result = recommend_treatment(model, frame, treatment="drug", outcome="relapse")
    assert result.risks.shape == (len(X), 2)
    assert np.mean(result.recommended == best) > 0.8
    assert list(frame["drug"]) == list(X[:, 2])  # the caller's data are untouched


def test_bad_arguments():
    X, _, _, rng = _trial(n=100)
    model = KerasNetClassifier(epochs=1, random_state=0).fit(
        X, rng.randint(2, size=100)
    )
    with pytest.raises(ValueError, match="column index of X"):
        recommend_treatment(model, X, treatment=7)
    with pytest.raises(ValueError, match="at least 2 treatment options"):
        recommend_treatment(model, X, treatment=2, options=[1.0])
    with pytest.raises(ValueError, match="outcome 'x' is not one of the classes"):
        recommend_treatment(model, X, treatment=2, outcome="x")
