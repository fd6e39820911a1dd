"""Survival intervals, conformal survival bounds and confident treatment choice."""

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sksurv.linear_model import CoxPHSurvivalAnalysis
from sksurv.util import Surv

from skprecmed import (
    ConformalSurvival,
    KerasNetClassifier,
    KerasNetDiscreteTimeSurvivalAnalysis,
    KerasNetSurvivalAnalysis,
    bootstrap_fit,
    recommend_treatment,
    survival_intervals,
)

NET = {
    "hidden_layer_sizes": (8,),
    "epochs": 15,
    "learning_rate_init": 0.02,
    "early_stopping": False,
    "random_state": 0,
}


def _cohort(n=400, seed=0, censoring=2.0):
    """Exponential times with log-hazard x0 - 0.5 x1; independent censoring."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 2))
    log_hazard = X[:, 0] - 0.5 * X[:, 1]
    time = rng.exponential(np.exp(-log_hazard))
    censor = rng.exponential(censoring, size=n)
    y = Surv.from_arrays(time <= censor, np.minimum(time, censor))
    return X, y, log_hazard, time


@pytest.fixture(scope="module")
def cohort():
    return _cohort()


@pytest.fixture(scope="module")
def cox_ensemble(cohort):
    X, y, _, _ = cohort
    net = KerasNetSurvivalAnalysis(**NET, ensemble_size=3)
    return make_pipeline(StandardScaler(), net).fit(X, y)


@pytest.mark.parametrize("kind", ["cox", "discrete"])
def test_ensemble_members_give_ordered_intervals(cohort, cox_ensemble, kind):
    X, y, log_hazard, _ = cohort
    if kind == "cox":
        model = cox_ensemble
    else:
        net = KerasNetDiscreteTimeSurvivalAnalysis(
            **NET, ensemble_size=3, n_time_bins=8
        )
        model = net.fit(X, y)
    times = [0.2, 0.5, 1.0]
    result = survival_intervals(model, X[:50], times, rmst_horizon=1.0)
    assert result.n_replicates == 3
    assert result.survival.shape == result.lower.shape == (50, 3)
    assert np.all(result.lower <= result.survival + 1e-12)
    assert np.all(result.survival <= result.upper + 1e-12)
    assert np.all((result.lower >= 0) & (result.upper <= 1))
    # survival curves do not increase over time, bounds included
    assert np.all(np.diff(result.upper, axis=1) <= 1e-12)
    # the members' mean is close to the model's own survival curve
    own = np.array([fn(times) for fn in model.predict_survival_function(X[:50])])
    assert np.max(np.abs(own - result.survival)) < 0.1
    # RMST within [0, horizon], shorter for patients at higher true risk
    assert np.all((result.rmst > 0) & (result.rmst <= 1.0))
    assert np.all(result.rmst_lower <= result.rmst_upper)
    assert np.corrcoef(result.rmst, log_hazard[:50])[0, 1] < -0.7


def test_intervals_need_replicates_and_known_times(cohort, cox_ensemble):
    X, y, _, _ = cohort
    single = KerasNetSurvivalAnalysis(**NET).fit(X, y)
    with pytest.raises(ValueError, match="ensemble_size >= 2"):
        survival_intervals(single, X, 0.5)
    with pytest.raises(ValueError, match="known up to time"):
        survival_intervals(cox_ensemble, X, 1e6)
    with pytest.raises(ValueError, match="at least 2 fitted models"):
        survival_intervals([single], X, 0.5)
    with pytest.raises(TypeError, match="predict_survival_function"):
        survival_intervals([StandardScaler().fit(X)] * 2, X, 0.5)
    with pytest.raises(ValueError, match="coverage"):
        survival_intervals(cox_ensemble, X, 0.5, coverage=90)
    with pytest.raises(ValueError, match="rmst_horizon"):
        survival_intervals(cox_ensemble, X, 0.5, rmst_horizon=-1)


def test_bootstrap_intervals_cover_the_true_survival():
    # a well-specified Cox model: percentile bootstrap intervals of S(t | x)
    # cover the truth near their 90% (floor well below, for a small run)
    X, y, _, _ = _cohort(n=300, seed=1)
    models = bootstrap_fit(
        CoxPHSurvivalAnalysis(), X, y, n_bootstraps=40, random_state=0
    )
    X_new = np.random.RandomState(2).normal(size=(200, 2))
    truth = np.exp(-0.5 * np.exp(X_new[:, 0] - 0.5 * X_new[:, 1]))
    result = survival_intervals(models, X_new, 0.5)
    covered = (result.lower[:, 0] <= truth) & (truth <= result.upper[:, 0])
    assert covered.mean() > 0.75
    # the replicates differ: resampling was not a no-op
    assert len({round(m.coef_[0], 8) for m in models}) == 40


def test_conformal_lower_bound_keeps_its_coverage_under_censoring():
    X, y, _, time = _cohort(n=1600, seed=3, censoring=1.0)
    model = ConformalSurvival(CoxPHSurvivalAnalysis(), coverage=0.8, random_state=0)
    model.fit(X[:1000], y[:1000])
    bound = model.predict_lower_bound(X[1000:])
    # against the true event time (known here): at least the promised 80%,
    # and not trivial (censoring makes it conservative, not useless)
    kept = np.mean(time[1000:] >= bound)
    assert 0.78 <= kept <= 0.97
    assert np.median(bound) > 0.05
    # higher risk, lower bound
    assert np.corrcoef(model.predict(X[1000:]), np.log(bound))[0, 1] < -0.9
    assert model.n_calibration_ == 250


def test_conformal_lower_bound_per_group():
    X, y, _, time = _cohort(n=1600, seed=4)
    group = (X[:, 1] > 0).astype(int)
    model = ConformalSurvival(
        CoxPHSurvivalAnalysis(), groups=group[:1000], random_state=0
    ).fit(X[:1000], y[:1000])
    assert set(model.quantiles_) == {0, 1}
    bound = model.predict_lower_bound(X[1000:], groups=group[1000:])
    for g in (0, 1):
        rows = group[1000:] == g
        assert np.mean(time[1000:][rows] >= bound[rows]) >= 0.82
    with pytest.raises(ValueError, match="pass the groups"):
        model.predict_lower_bound(X[1000:])


def _trial(n=1200, seed=0):
    """Treatment 1 lowers the hazard by 1.5 * marker (no effect at marker 0)."""
    rng = np.random.RandomState(seed)
    marker = rng.uniform(-1, 1, size=n)
    treated = rng.randint(2, size=n).astype(float)
    log_hazard = 0.5 * marker - 1.5 * marker * treated
    time = rng.exponential(np.exp(-log_hazard))
    censor = rng.exponential(3.0, size=n)
    X = np.column_stack([marker, treated, marker * treated])
    return X, Surv.from_arrays(time <= censor, np.minimum(time, censor)), marker


def test_recommender_abstains_where_the_true_effect_is_small():
    X, y, marker = _trial()

    def interacted(Z):  # the interaction column follows the treatment column
        return np.column_stack([Z[:, 0], Z[:, 1], Z[:, 0] * Z[:, 1]])

    model = make_pipeline(FunctionTransformer(interacted), CoxPHSurvivalAnalysis())
    replicates = bootstrap_fit(model, X, y, n_bootstraps=30, random_state=0)
    result = recommend_treatment(replicates, X, treatment=1, horizon=1.0, coverage=0.9)
    abstained = np.equal(result.recommended, None)
    assert np.all(result.margin_lower[~abstained] > 0)
    assert np.all(result.risks_lower <= result.risks_upper)
    # abstentions concentrate where |effect| is small; confident choices are right
    assert abstained[np.abs(marker) < 0.04].mean() > 0.9
    assert abstained[np.abs(marker) > 0.2].mean() < 0.05
    right = np.where(marker > 0, 1.0, 0.0)
    assert np.mean(result.recommended[~abstained] == right[~abstained]) > 0.95


def test_recommender_uses_ensemble_members():
    X, y, marker = _trial(n=800, seed=1)
    net = KerasNetSurvivalAnalysis(**NET, ensemble_size=3).fit(X, y)
    by_score = recommend_treatment(net, X, treatment=1, coverage=0.9)
    by_horizon = recommend_treatment(net, X, treatment=1, horizon=1.0, coverage=0.9)
    for result in (by_score, by_horizon):
        abstained = np.equal(result.recommended, None)
        assert np.array_equal(abstained, result.margin_lower <= 0)
        assert np.all(result.margin_lower <= result.margin_upper)
    assert np.all((by_horizon.risks >= 0) & (by_horizon.risks <= 1))
    with pytest.raises(ValueError, match="ensemble_size >= 2"):
        single = KerasNetSurvivalAnalysis(**NET).fit(X, y)
        recommend_treatment(single, X, treatment=1, coverage=0.9)

    labels = y["event"] & (y["time"] < 1.0)
    clf = KerasNetClassifier(**NET, ensemble_size=2).fit(X, labels)
    result = recommend_treatment(clf, X, treatment=1, coverage=0.8)
    assert result.risks_lower.shape == (len(X), 2)
    assert np.all(result.risks_lower <= result.risks_upper)
    with pytest.raises(ValueError, match="horizon applies to survival"):
        recommend_treatment(clf, X, treatment=1, horizon=1.0)


def test_per_arm_survival_curves_with_bands(cohort, cox_ensemble):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from skprecmed import plot_survival_intervals

    X, _, _, _ = cohort
    patient = X[:1].copy()
    times = np.linspace(0.1, 1.5, 8)
    ax = None
    for value, label in ((-1.0, "x0 = -1"), (1.0, "x0 = +1")):
        patient[0, 0] = value
        result = survival_intervals(cox_ensemble, patient, times)
        ax = plot_survival_intervals(result, ax=ax, label=label)
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["x0 = -1", "x0 = +1"]
    assert len(ax.collections) == 2  # one band per arm
    low_risk, high_risk = (line.get_ydata() for line in lines)
    assert low_risk[0] == high_risk[0] == 1.0  # every curve starts at 1
    assert np.all(low_risk[1:] > high_risk[1:])  # the higher hazard falls faster
    with pytest.raises(ValueError, match="row index"):
        plot_survival_intervals(result, patient=5)
    with pytest.raises(ValueError, match="survival_intervals returns"):
        plot_survival_intervals({"times": times})
