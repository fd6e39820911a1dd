"""KerasNetSurvivalAnalysis on real cohorts shipped with scikit-survival."""

import numpy as np
import pytest
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils import get_tags
from sksurv.datasets import load_gbsg2, load_whas500
from sksurv.functions import StepFunction
from sksurv.linear_model import CoxPHSurvivalAnalysis
from sksurv.util import Surv

from skprecmed import KerasNetSurvivalAnalysis

from ._helpers import assert_same_search_with_n_jobs, predict_in_fresh_process
from ._instances import fast

WHAS_NUMERIC = ["age", "bmi", "hr", "sysbp", "diasbp"]


@pytest.fixture(scope="module")
def whas():
    """Worcester Heart Attack Study: 500 patients, time to death."""
    X, y = load_whas500()
    return StandardScaler().fit_transform(X[WHAS_NUMERIC].to_numpy()), y


def _gbsg2_pipeline(**params):
    prep = make_column_transformer(
        (OneHotEncoder(drop="first"), make_column_selector(dtype_include="category")),
        (StandardScaler(), make_column_selector(dtype_include="number")),
    )
    return make_pipeline(prep, KerasNetSurvivalAnalysis(**fast(**params)))


def _breslow_partial_likelihood(log_risk, time, event):
    """Reference: mean over events of log sum_{t_j >= t_i} e^eta_j - eta_i."""
    terms = [
        np.log(np.exp(log_risk[time >= time[i]]).sum()) - log_risk[i]
        for i in np.flatnonzero(event)
    ]
    return np.mean(terms)


def test_cox_loss_is_breslow_partial_likelihood():
    from skprecmed._losses import cox_ph_loss

    rng = np.random.RandomState(0)
    time = np.array([5.0, 3.0, 3.0, 8.0, 1.0, 3.0, 9.0])  # ties at 3
    event = np.array([1, 1, 0, 0, 1, 1, 1], dtype=float)
    log_risk = rng.normal(size=7)
    loss = np.asarray(
        cox_ph_loss(
            np.column_stack([time, event]).astype("float32"),
            log_risk.reshape(-1, 1).astype("float32"),
        )
    )
    assert loss.shape == (7,) and np.all(loss[event == 0] == 0)
    expected = _breslow_partial_likelihood(log_risk, time, event.astype(bool))
    assert loss.mean() == pytest.approx(expected, rel=1e-5)


def test_is_a_survival_estimator():
    tags = get_tags(KerasNetSurvivalAnalysis())
    assert tags.target_tags.required
    assert tags.estimator_type is None


def test_network_without_hidden_layer_is_the_linear_cox_model(whas):
    X, y = whas
    deep = KerasNetSurvivalAnalysis(
        hidden_layer_sizes=(),
        epochs=300,
        batch_size=500,
        learning_rate_init=0.02,
        alpha=0.0,
        early_stopping=False,
        random_state=0,
    ).fit(X, y)  # unpenalised and trained to convergence, as CoxPH is
    cox = CoxPHSurvivalAnalysis().fit(X, y)
    np.testing.assert_allclose(
        deep.model_.get_layer("output").kernel.numpy().ravel(), cox.coef_, atol=0.02
    )
    assert deep.score(X, y) == pytest.approx(cox.score(X, y), abs=0.002)


def test_predict_is_a_centred_risk_and_score_is_harrells_c(whas):
    from sksurv.metrics import concordance_index_censored

    X, y = whas
    model = KerasNetSurvivalAnalysis(**fast(batch_size=128, epochs=20)).fit(X, y)
    risk = model.predict(X)
    assert risk.shape == (500,) and abs(risk.mean()) < 1e-6
    c_index = concordance_index_censored(y["fstat"], y["lenfol"], risk)[0]
    assert model.score(X, y) == c_index > 0.7


def test_survival_and_cumulative_hazard_functions(whas):
    X, y = whas
    model = KerasNetSurvivalAnalysis(**fast(batch_size=128, epochs=20)).fit(X, y)
    functions = model.predict_survival_function(X[:3])
    assert len(functions) == 3 and all(isinstance(f, StepFunction) for f in functions)
    surv = model.predict_survival_function(X[:50], return_array=True)
    hazard = model.predict_cumulative_hazard_function(X[:50], return_array=True)
    assert surv.shape == hazard.shape == (50, len(model.unique_times_))
    np.testing.assert_array_equal(model.unique_times_, np.unique(y["lenfol"]))
    assert np.all(np.diff(surv, axis=1) <= 1e-12) and np.all((surv >= 0) & (surv <= 1))
    np.testing.assert_allclose(surv, np.exp(-hazard))
    # a riskier patient has lower survival at every time
    risk = model.predict(X[:50])
    hi, lo = np.argmax(risk), np.argmin(risk)
    assert np.all(surv[hi] <= surv[lo])
    np.testing.assert_allclose(functions[0](model.unique_times_), surv[0])


def test_gbsg2_pipeline_cross_validated_c_index():
    X, y = load_gbsg2()
    scores = cross_val_score(
        _gbsg2_pipeline(batch_size=256, epochs=30, early_stopping=False),
        X,
        y,
        cv=KFold(3, shuffle=True, random_state=0),
    )
    assert scores.mean() > 0.64  # CoxPH reaches about 0.68


@pytest.mark.slow
def test_grid_search_same_result_with_one_or_two_jobs():
    X, y = load_gbsg2()
    grid = {"kerasnetsurvivalanalysis__hidden_layer_sizes": [(4,), (16,)]}
    cv = KFold(3, shuffle=True, random_state=0)
    assert_same_search_with_n_jobs(
        lambda n: GridSearchCV(_gbsg2_pipeline(batch_size=256), grid, cv=cv, n_jobs=n),
        X,
        y,
    )


@pytest.mark.slow
def test_joblib_round_trip_in_a_fresh_process(tmp_path):
    X, y = load_gbsg2()
    model = _gbsg2_pipeline(batch_size=256).fit(X, y)
    methods = {"predict": {}, "predict_survival_function": {"return_array": True}}
    outputs, _ = predict_in_fresh_process(model, X, tmp_path, methods=methods)
    np.testing.assert_array_equal(outputs["predict"], model.predict(X))
    np.testing.assert_array_equal(
        outputs["predict_survival_function"],
        model.predict_survival_function(X, return_array=True),
    )


def test_same_seed_same_risks(whas):
    X, y = whas
    a = KerasNetSurvivalAnalysis(**fast(dropout=0.2)).fit(X, y).predict(X)
    b = KerasNetSurvivalAnalysis(**fast(dropout=0.2)).fit(X, y).predict(X)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "make_y, message",
    [
        (
            lambda e, t: t,
            "structured array with an event indicator field and a time field",
        ),
        (lambda e, t: None, "requires y to be passed"),
        (
            lambda e, t: Surv.from_arrays(e, -t),
            "observed time contains values smaller zero",
        ),
        (
            lambda e, t: Surv.from_arrays(np.zeros_like(e), t),
            "all samples are censored",
        ),
        (
            lambda e, t: np.array(
                list(zip(e.astype(float), t, strict=True)),
                dtype=[("e", float), ("t", float)],
            ),
            "boolean",
        ),
    ],
    ids=["plain-array", "none", "negative-times", "no-events", "float-event-field"],
)
def test_malformed_survival_targets(whas, make_y, message):
    X, y = whas
    with pytest.raises(ValueError, match=message):
        KerasNetSurvivalAnalysis().fit(X, make_y(y["fstat"], y["lenfol"]))


def test_nan_time_is_rejected(whas):
    X, y = whas
    time = y["lenfol"].copy()
    time[3] = np.nan
    with pytest.raises(ValueError, match="(?i)nan|finite"):
        KerasNetSurvivalAnalysis().fit(X, Surv.from_arrays(y["fstat"], time))
