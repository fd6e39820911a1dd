"""Uncertainty on top of fitted estimators (#12).

MAPIE and scikit-learn's calibration accept our estimators unchanged;
skprecmed's conformal sets and intervals cover as promised (overall and per
group); performance comes with bootstrap intervals; survival calibration,
plots and treatment abstention report numbers that can be checked.
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import make_regression
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import BayesianRidge, LogisticRegression, RidgeCV
from sklearn.metrics import (
    brier_score_loss,
    log_loss,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
)
from sklearn.model_selection import train_test_split
from sklearn.svm import LinearSVC
from sksurv.linear_model import CoxPHSurvivalAnalysis
from sksurv.metrics import concordance_index_censored
from sksurv.util import Surv

from skprecmed import (
    ConformalClassifier,
    ConformalRegressor,
    KerasNetClassifier,
    KerasNetRegressor,
    KerasNetSurvivalAnalysis,
    performance_intervals,
    plot_subgroup_coverage,
    plot_survival_calibration,
    recommend_treatment,
    survival_calibration,
)
from skprecmed._conformal import conformal_quantile

mapie_classification = pytest.importorskip("mapie.classification")
mapie_regression = pytest.importorskip("mapie.regression")

CLASSIFIER = {
    "hidden_layer_sizes": (16,),
    "epochs": 15,
    "learning_rate_init": 0.01,
    "random_state": 0,
}
REGRESSOR = {
    "hidden_layer_sizes": (16,),
    "epochs": 30,
    "learning_rate_init": 0.01,
    "random_state": 0,
}


def _covered_sets(sets, y, classes):
    return sets[np.arange(len(y)), np.searchsorted(classes, y)]


def _covered_intervals(intervals, y):
    return (intervals[:, 0] <= y) & (y <= intervals[:, 1])


@pytest.fixture(scope="module")
def cancer_split(cancer):
    """Breast cancer: training, calibration and test thirds, stratified."""
    X, y = cancer
    X_rest, X_test, y_rest, y_test = train_test_split(
        X, y, test_size=0.35, stratify=y, random_state=0
    )
    X_fit, X_cal, y_fit, y_cal = train_test_split(
        X_rest, y_rest, test_size=0.4, stratify=y_rest, random_state=0
    )
    return X_fit, y_fit, X_cal, y_cal, X_test, y_test


@pytest.fixture(scope="module")
def diabetes_split(diabetes_scaled):
    X, y = diabetes_scaled
    X_rest, X_test, y_rest, y_test = train_test_split(
        X, y, test_size=0.35, random_state=0
    )
    X_fit, X_cal, y_fit, y_cal = train_test_split(
        X_rest, y_rest, test_size=0.4, random_state=0
    )
    return X_fit, y_fit, X_cal, y_cal, X_test, y_test


@pytest.fixture(scope="module")
def fitted_classifier(cancer_split):
    X_fit, y_fit, *_ = cancer_split
    return KerasNetClassifier(**CLASSIFIER).fit(X_fit, y_fit)


@pytest.fixture(scope="module")
def fitted_regressor(diabetes_split):
    X_fit, y_fit, *_ = diabetes_split
    return KerasNetRegressor(**REGRESSOR).fit(X_fit, y_fit)


# ------------------------------------------------ other libraries accept ours


def test_mapie_split_conformal_classifier_accepts_keras_classifier(cancer_split):
    X_fit, y_fit, X_cal, y_cal, X_test, y_test = cancer_split
    mapie = mapie_classification.SplitConformalClassifier(
        KerasNetClassifier(**CLASSIFIER), confidence_level=0.9, prefit=False
    )
    mapie.fit(X_fit, y_fit).conformalize(X_cal, y_cal)
    labels, sets = mapie.predict_set(X_test)
    assert sets.shape == (len(y_test), 2, 1)
    assert 0.8 <= _covered_sets(sets[:, :, 0], y_test, np.array([0, 1])).mean() <= 1
    assert np.mean(labels == y_test) > 0.9


def test_mapie_split_conformal_regressor_accepts_prefit_keras_regressor(
    fitted_regressor, diabetes_split
):
    _, _, X_cal, y_cal, X_test, y_test = diabetes_split
    before = fitted_regressor.predict(X_test)
    mapie = mapie_regression.SplitConformalRegressor(
        fitted_regressor, confidence_level=0.9, prefit=True
    ).conformalize(X_cal, y_cal)
    prediction, intervals = mapie.predict_interval(X_test)
    np.testing.assert_allclose(prediction, before)
    assert 0.8 <= _covered_intervals(intervals[:, :, 0], y_test).mean() <= 1
    np.testing.assert_array_equal(fitted_regressor.predict(X_test), before)


def test_mapie_cross_conformal_regressor_refits_keras_regressor(diabetes_split):
    X_fit, y_fit, X_cal, y_cal, X_test, y_test = diabetes_split
    X_train, y_train = np.vstack([X_fit, X_cal]), np.concatenate([y_fit, y_cal])
    mapie = mapie_regression.CrossConformalRegressor(
        KerasNetRegressor(**{**REGRESSOR, "epochs": 15}),
        confidence_level=0.9,
        cv=3,
        random_state=0,
    )
    mapie.fit_conformalize(X_train, y_train)
    _, intervals = mapie.predict_interval(X_test)
    assert 0.8 <= _covered_intervals(intervals[:, :, 0], y_test).mean() <= 1


def test_calibrated_classifier_cv_on_a_frozen_keras_classifier(
    fitted_classifier, cancer_split
):
    _, _, X_cal, y_cal, X_test, y_test = cancer_split
    before = fitted_classifier.predict_proba(X_test)
    calibrated = CalibratedClassifierCV(
        FrozenEstimator(fitted_classifier), method="sigmoid"
    ).fit(X_cal, y_cal)
    proba = calibrated.predict_proba(X_test)
    np.testing.assert_array_equal(calibrated.classes_, [0, 1])
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    # sigmoid calibration is monotone: the ranking (hence the AUC) is kept
    assert roc_auc_score(y_test, proba[:, 1]) == pytest.approx(
        roc_auc_score(y_test, before[:, 1]), abs=1e-3
    )
    # the frozen network was not refitted
    np.testing.assert_array_equal(fitted_classifier.predict_proba(X_test), before)


def test_calibrated_classifier_cv_refits_an_unfitted_keras_classifier(cancer_split):
    X_fit, y_fit, _, _, X_test, y_test = cancer_split
    estimator = KerasNetClassifier(**CLASSIFIER)
    calibrated = CalibratedClassifierCV(estimator, cv=2, ensemble=True).fit(
        X_fit, y_fit
    )
    assert len(calibrated.calibrated_classifiers_) == 2
    assert calibrated.score(X_test, y_test) > 0.9
    assert not hasattr(estimator, "model_")  # the user's estimator stays unfitted


def test_frozen_keras_regressor_is_not_refitted(fitted_regressor, diabetes_split):
    X_fit, y_fit, _, _, X_test, _ = diabetes_split
    frozen = FrozenEstimator(fitted_regressor)
    before = fitted_regressor.predict(X_test)
    frozen.fit(X_fit, -y_fit)  # a no-op, whatever the data
    np.testing.assert_array_equal(frozen.predict(X_test), before)
    np.testing.assert_array_equal(clone(frozen).predict(X_test), before)


# --------------------------------------------------------- conformal sets


def test_conformal_quantile_is_the_finite_sample_rank():
    scores = np.arange(1, 20) / 20  # n = 19
    # ceil(20 * 0.9) = 18: the 18th smallest
    assert conformal_quantile(scores, 0.9) == pytest.approx(18 / 20)
    assert conformal_quantile(scores, 0.96) == np.inf  # ceil(20 * 0.96) = 20 > 19
    assert conformal_quantile(scores[::-1], 0.5) == pytest.approx(10 / 20)


def test_conformal_classifier_keras_covers_and_passes_through(cancer):
    X, y = cancer
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=1
    )
    X_copy = X_train.copy()
    estimator = KerasNetClassifier(**CLASSIFIER)
    conformal = ConformalClassifier(estimator, coverage=0.9, random_state=0)
    conformal.fit(X_train, y_train)
    sets = conformal.predict_set(X_test)
    assert sets.dtype == bool and sets.shape == (len(y_test), 2)
    assert 0.8 <= _covered_sets(sets, y_test, conformal.classes_).mean() <= 1.0
    assert conformal.n_calibration_ == np.ceil(0.25 * len(y_train))  # as sklearn
    np.testing.assert_array_equal(
        conformal.predict_proba(X_test), conformal.estimator_.predict_proba(X_test)
    )
    np.testing.assert_array_equal(
        conformal.predict(X_test), conformal.estimator_.predict(X_test)
    )
    assert conformal.score(X_test, y_test) > 0.9
    assert not hasattr(estimator, "model_")
    np.testing.assert_array_equal(X_train, X_copy)


def test_lac_and_aps_scores_by_hand():
    proba = np.array([[0.6, 0.3, 0.1]])
    lac = ConformalClassifier(LogisticRegression(), method="lac")._scores(proba)
    aps = ConformalClassifier(LogisticRegression(), method="aps")._scores(proba)
    np.testing.assert_allclose(lac, [[0.4, 0.7, 0.9]])
    np.testing.assert_allclose(aps, [[0.6, 0.9, 1.0]])


def _three_classes(n=1500, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 3))
    group = (X[:, 2] > 0).astype(int)
    # group 1 is much noisier: one overall quantile under-covers it
    noise = np.where(group == 1, 2.5, 0.3)
    logits = np.column_stack([X[:, 0], X[:, 1], -X[:, 0] - X[:, 1]])
    y = np.argmax(logits + noise[:, None] * rng.gumbel(size=(n, 3)), axis=1)
    return X, y, group


@pytest.mark.parametrize("method", ["lac", "aps"])
def test_mondrian_sets_cover_each_group(method):
    X, y, group = _three_classes()
    X_train, X_test, y_train, y_test, g_train, g_test = train_test_split(
        X, y, group, test_size=0.4, random_state=0
    )
    common = {"coverage": 0.9, "calibration_size": 0.5, "method": method}
    pooled = ConformalClassifier(LogisticRegression(), random_state=0, **common)
    pooled_sets = pooled.fit(X_train, y_train).predict_set(X_test)
    by_group = ConformalClassifier(
        LogisticRegression(), groups=g_train, random_state=0, **common
    ).fit(X_train, y_train)
    sets = by_group.predict_set(X_test, groups=g_test)
    assert set(by_group.quantiles_) == {0, 1}
    # non-randomised APS is conservative: with three near-uniform classes the
    # 90% threshold can reach the whole simplex
    upper = 0.97 if method == "lac" else 1.0
    for g in (0, 1):
        covered = _covered_sets(sets[g_test == g], y_test[g_test == g], [0, 1, 2])
        assert 0.85 <= covered.mean() <= upper, (g, covered.mean())
    # the pooled quantile is too strict for the noisy group, too lax for the other
    noisy = g_test == 1
    pooled_noisy = _covered_sets(pooled_sets[noisy], y_test[noisy], [0, 1, 2]).mean()
    mondrian_noisy = _covered_sets(sets[noisy], y_test[noisy], [0, 1, 2]).mean()
    if method == "lac":
        assert pooled_noisy < 0.85 < mondrian_noisy
    assert sets[~noisy].sum(axis=1).mean() < pooled_sets[~noisy].sum(axis=1).mean()
    # the same groups as a column of a DataFrame, read again at prediction
    frame = pd.DataFrame(X_train, columns=["a", "b", "c"]).assign(g=g_train)
    test_frame = pd.DataFrame(X_test, columns=["a", "b", "c"]).assign(g=g_test)
    by_column = ConformalClassifier(
        LogisticRegression(), groups="g", random_state=0, **common
    ).fit(frame, y_train)
    assert by_column.quantiles_.keys() == by_group.quantiles_.keys()
    assert by_column.predict_set(test_frame).shape == (len(y_test), 3)


def test_conformal_classifier_group_errors_and_small_group_warning():
    X, y, group = _three_classes(n=300)
    conformal = ConformalClassifier(LogisticRegression(), groups=group, random_state=0)
    conformal.fit(X, y)
    with pytest.raises(ValueError, match="pass the groups of these rows"):
        conformal.predict_set(X)
    with pytest.raises(ValueError, match=r"Groups \[7\] were not seen"):
        conformal.predict_set(X[:2], groups=[0, 7])
    with pytest.raises(ValueError, match="calibrated without groups"):
        ConformalClassifier(LogisticRegression()).fit(X, y).predict_set(X, groups=group)
    tiny_group = np.where(np.arange(300) < 12, 2, group)
    with pytest.warns(UserWarning, match=r"Groups \[2\] have too few"):
        small = ConformalClassifier(
            LogisticRegression(), groups=tiny_group, random_state=0
        ).fit(X, y)
    assert small.quantiles_[2] == np.inf
    assert small.predict_set(X[:12], groups=tiny_group[:12]).all()


@pytest.mark.parametrize(
    "params, message",
    [
        ({"coverage": 1.5}, "coverage must be a number in"),
        ({"calibration_size": 0.0}, "calibration_size must be"),
        ({"method": "raps"}, "method must be 'lac' or 'aps'"),
        ({"groups": 99}, "groups must be a column index of X"),
        ({"groups": [0, 1]}, "groups must have one value per row"),
    ],
)
def test_conformal_classifier_bad_parameters(params, message):
    X, y, _ = _three_classes(n=100)
    with pytest.raises(ValueError, match=message):
        ConformalClassifier(LogisticRegression(), **params).fit(X, y)


def test_conformal_classifier_needs_probabilities():
    X, y, _ = _three_classes(n=100)
    with pytest.raises(ValueError, match="LinearSVC has no predict_proba"):
        ConformalClassifier(LinearSVC()).fit(X, y)


# ----------------------------------------------------- conformal intervals


def test_conformal_regressor_keras_covers_in_user_units(diabetes_scaled):
    X, y = diabetes_scaled
    y = 100 + 50 * y  # clinical units
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, random_state=1
    )
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.preprocessing import StandardScaler

    model = TransformedTargetRegressor(
        KerasNetRegressor(**REGRESSOR), transformer=StandardScaler()
    )
    conformal = ConformalRegressor(model, coverage=0.9, random_state=0)
    intervals = conformal.fit(X_train, y_train).predict_interval(X_test)
    assert intervals.shape == (len(y_test), 2)
    assert 0.8 <= _covered_intervals(intervals, y_test).mean() <= 1.0
    width = intervals[:, 1] - intervals[:, 0]
    assert 50 < width.mean() < 300  # in the user's units, not standardised ones
    np.testing.assert_allclose(
        intervals.mean(axis=1), conformal.predict(X_test), rtol=1e-6
    )
    # "auto" divides by the members' spread only when there are members
    single = ConformalRegressor(KerasNetRegressor(**REGRESSOR), random_state=0)
    assert single.fit(X_train, y_train).method_ == "absolute"
    ensemble = ConformalRegressor(
        KerasNetRegressor(**REGRESSOR, ensemble_size=3), random_state=0
    )
    ensemble.fit(X_train, y_train)
    assert ensemble.method_ == "normalized"
    assert 0.8 <= _covered_intervals(ensemble.predict_interval(X_test), y_test).mean()


def test_normalized_intervals_follow_the_predicted_spread():
    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, size=(2000, 1))
    y = 2 * X[:, 0] + rng.normal(size=2000)
    conformal = ConformalRegressor(BayesianRidge(), random_state=0).fit(X, y)
    assert conformal.method_ == "normalized"
    _, std = conformal.estimator_.predict(X[:5], return_std=True)
    intervals = conformal.predict_interval(X[:5])
    np.testing.assert_allclose(
        intervals[:, 1] - intervals[:, 0], 2 * conformal.quantiles_[None] * std
    )
    with pytest.raises(ValueError, match="needs predict\\(X, return_std=True\\)"):
        ConformalRegressor(RidgeCV(), method="normalized").fit(X, y)
    absolute = ConformalRegressor(BayesianRidge(), method="absolute").fit(X, y)
    assert absolute.method_ == "absolute"


def test_split_conformal_average_coverage_is_at_least_nominal():
    """Over many splits, coverage averages at or just above the target."""
    X, y = make_regression(n_samples=400, n_features=5, noise=20, random_state=0)
    coverages = []
    for seed in range(40):
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.5, random_state=seed
        )
        conformal = ConformalRegressor(RidgeCV(), coverage=0.9, random_state=seed)
        intervals = conformal.fit(X_train, y_train).predict_interval(X_test)
        coverages.append(_covered_intervals(intervals, y_test).mean())
    assert 0.89 <= np.mean(coverages) <= 0.93


def test_conformal_regressor_intervals_equal_mapies_on_the_same_split():
    X, y = make_regression(n_samples=200, n_features=3, noise=10, random_state=0)
    conformal = ConformalRegressor(RidgeCV(), calibration_size=0.3, random_state=4)
    intervals = conformal.fit(X, y).predict_interval(X[:10])
    # the same split as ConformalRegressor's, given to MAPIE by hand
    fit_rows, cal_rows = train_test_split(np.arange(200), test_size=0.3, random_state=4)
    mapie = mapie_regression.SplitConformalRegressor(
        RidgeCV(), confidence_level=0.9, prefit=False
    )
    mapie.fit(X[fit_rows], y[fit_rows]).conformalize(X[cal_rows], y[cal_rows])
    np.testing.assert_allclose(intervals, mapie.predict_interval(X[:10])[1][:, :, 0])


def test_conformal_regressor_bad_input():
    X, y = make_regression(n_samples=50, n_features=2, random_state=0)
    with pytest.raises(ValueError, match="y must be 1-D"):
        ConformalRegressor(RidgeCV()).fit(X, np.column_stack([y, y]))
    with pytest.raises(ValueError, match="method must be 'auto'"):
        ConformalRegressor(RidgeCV(), method="cqr").fit(X, y)


# ----------------------------------------------------- performance tables


def test_classifier_intervals_match_sklearn_metrics(fitted_classifier, cancer_split):
    *_, X_test, y_test = cancer_split
    X_copy = X_test.copy()
    table = performance_intervals(
        fitted_classifier, X_test, y_test, n_bootstraps=300, random_state=0
    ).set_index("metric")
    proba = fitted_classifier.predict_proba(X_test)
    assert table.loc["roc_auc", "estimate"] == pytest.approx(
        roc_auc_score(y_test, proba[:, 1])
    )
    assert table.loc["log_loss", "estimate"] == pytest.approx(log_loss(y_test, proba))
    assert table.loc["brier", "estimate"] == pytest.approx(
        brier_score_loss(y_test, proba[:, 1])
    )
    assert (table["lower"] <= table["estimate"]).all()
    assert (table["estimate"] <= table["upper"]).all()
    assert (table["n"] == len(y_test)).all()
    np.testing.assert_array_equal(X_test, X_copy)
    again = performance_intervals(
        fitted_classifier, X_test, y_test, n_bootstraps=300, random_state=0
    ).set_index("metric")
    pd.testing.assert_frame_equal(table, again)


def test_multiclass_auc_is_one_vs_rest_macro(blobs3):
    X, y = blobs3
    model = LogisticRegression(C=0.01).fit(X[::2], y[::2])
    table = performance_intervals(
        model, X[1::2], y[1::2], metrics=["roc_auc", "brier"], n_bootstraps=50
    )
    expected = roc_auc_score(y[1::2], model.predict_proba(X[1::2]), multi_class="ovr")
    assert table["estimate"].iloc[0] == pytest.approx(expected)


def test_regressor_intervals_and_custom_metrics(diabetes_split):
    X_fit, y_fit, _, _, X_test, y_test = diabetes_split
    model = RidgeCV().fit(X_fit, y_fit)
    table = performance_intervals(model, X_test, y_test, n_bootstraps=300).set_index(
        "metric"
    )
    prediction = model.predict(X_test)
    assert table.loc["r2", "estimate"] == pytest.approx(r2_score(y_test, prediction))
    assert table.loc["mae", "estimate"] == pytest.approx(
        mean_absolute_error(y_test, prediction)
    )
    assert (
        table.loc["r2", "lower"]
        < table.loc["r2", "estimate"]
        < table.loc["r2", "upper"]
    )
    custom = performance_intervals(
        model,
        X_test,
        y_test,
        metrics={"max_error": lambda t, p: np.abs(t - p).max()},
        n_bootstraps=100,
    )
    assert custom["estimate"].iloc[0] == pytest.approx(
        np.abs(y_test - prediction).max()
    )
    assert custom["upper"].iloc[0] <= custom["estimate"].iloc[0] + 1e-12


def test_subgroup_report_tabulates_performance_and_coverage(diabetes_split):
    X_fit, y_fit, X_cal, y_cal, X_test, y_test = diabetes_split
    X_train, y_train = np.vstack([X_fit, X_cal]), np.concatenate([y_fit, y_cal])
    sex = 1  # diabetes column 1
    conformal = ConformalRegressor(RidgeCV(), groups=sex, random_state=0)
    conformal.fit(X_train, y_train)
    table = performance_intervals(
        conformal, X_test, y_test, groups=sex, n_bootstraps=200, random_state=0
    )
    assert table["group"].iloc[0] == "all"
    assert set(table["metric"]) == {"r2", "mae", "coverage", "mean_interval_width"}
    coverage = table[table["metric"] == "coverage"].set_index("group")
    intervals = conformal.predict_interval(X_test)
    covered = _covered_intervals(intervals, y_test)
    assert coverage.loc["all", "estimate"] == pytest.approx(covered.mean())
    groups = np.unique(X_test[:, sex])
    assert coverage.loc[groups, "n"].sum() == len(y_test)
    for g in groups:
        assert coverage.loc[g, "estimate"] == pytest.approx(
            covered[X_test[:, sex] == g].mean()
        )
        assert 0.75 <= coverage.loc[g, "estimate"] <= 1.0
    import matplotlib

    matplotlib.use("Agg")
    ax = plot_subgroup_coverage(table, coverage=0.9)
    np.testing.assert_allclose(
        [bar.get_height() for bar in ax.patches], coverage["estimate"]
    )
    assert ax.get_lines()[-1].get_ydata()[0] == 0.9
    with pytest.raises(ValueError, match="no coverage rows"):
        plot_subgroup_coverage(table[table["metric"] == "r2"])


def test_conformal_classifier_coverage_rows(cancer_split):
    X_fit, y_fit, X_cal, y_cal, X_test, y_test = cancer_split
    radius = (X_test[:, 0] > 0).astype(int)
    conformal = ConformalClassifier(LogisticRegression(), random_state=0).fit(
        np.vstack([X_fit, X_cal]), np.concatenate([y_fit, y_cal])
    )
    table = performance_intervals(
        conformal, X_test, y_test, groups=radius, n_bootstraps=100, random_state=0
    )
    sizes = table[table["metric"] == "mean_set_size"]
    assert len(sizes) == 3
    assert ((sizes["estimate"] >= 0) & (sizes["estimate"] <= 2)).all()


def test_performance_intervals_bad_input(diabetes_split):
    X_fit, y_fit, *_ = diabetes_split
    model = RidgeCV().fit(X_fit, y_fit)
    with pytest.raises(ValueError, match=r"Unknown metrics \['roc_auc'\]"):
        performance_intervals(model, X_fit, y_fit, metrics=["roc_auc"])
    with pytest.raises(ValueError, match="n_bootstraps must be"):
        performance_intervals(model, X_fit, y_fit, n_bootstraps=0)
    with pytest.raises(ValueError, match="confidence must be"):
        performance_intervals(model, X_fit, y_fit, confidence=95)


# --------------------------------------------------------------- survival


def _survival_data(n=600, seed=0, time_scale=1.0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 2))
    time = rng.exponential(np.exp(-(X[:, 0] - 0.5 * X[:, 1])))
    censor = rng.exponential(3.0, size=n)
    return X, Surv.from_arrays(time <= censor, np.minimum(time, censor) * time_scale)


def test_harrell_c_with_interval_on_keras_survival():
    X, y = _survival_data()
    model = KerasNetSurvivalAnalysis(
        hidden_layer_sizes=(8,),
        epochs=20,
        batch_size=64,
        learning_rate_init=0.01,
        random_state=0,
    ).fit(X[:400], y[:400])
    table = performance_intervals(model, X[400:], y[400:], n_bootstraps=100)
    expected = concordance_index_censored(
        y["event"][400:], y["time"][400:], model.predict(X[400:])
    )[0]
    assert table["metric"].tolist() == ["c_index"]
    assert table["estimate"].iloc[0] == pytest.approx(expected)
    assert table["lower"].iloc[0] < expected < table["upper"].iloc[0]
    calibration = survival_calibration(model, X[400:], y[400:], times=[0.3, 1.0])
    assert len(calibration) == 2 * 4
    assert np.all(np.abs(calibration["predicted"] - calibration["observed"]) < 0.2)


def test_survival_calibration_detects_miscalibration():
    X, y = _survival_data()
    honest = CoxPHSurvivalAnalysis().fit(X[:300], y[:300])
    table = survival_calibration(
        honest, X[300:], y[300:], times=0.5, n_risk_groups=3, random_state=0
    )
    assert table["n"].tolist() == [100, 100, 100]
    assert (table["lower"] <= table["observed"]).all()
    assert (table["observed"] <= table["upper"]).all()
    assert np.all(np.abs(table["predicted"] - table["observed"]) < 0.1)
    # trained on times three times too long: survival predicted too high
    y_long = y.copy()
    y_long["time"] *= 3
    wrong = CoxPHSurvivalAnalysis().fit(X[:300], y_long[:300])
    biased = survival_calibration(wrong, X[300:], y[300:], times=0.5, n_risk_groups=3)
    assert np.all(biased["predicted"] > biased["upper"])
    import matplotlib

    matplotlib.use("Agg")
    ax = plot_survival_calibration(table)
    diagonal, curve = ax.get_lines()
    np.testing.assert_allclose(curve.get_xdata(), np.sort(table["predicted"]))
    assert len(ax.collections) == 1  # one band per time
    with pytest.raises(ValueError, match="times must lie in"):
        survival_calibration(honest, X[300:], y[300:], times=[0.0, 1.0])
    with pytest.raises(ValueError, match="table lacks the columns"):
        plot_survival_calibration(table.drop(columns="upper"))


# -------------------------------------------------------------- treatment


def test_recommend_treatment_abstains_on_near_ties():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PolynomialFeatures

    rng = np.random.RandomState(0)
    marker, treated = rng.normal(size=600), rng.randint(2, size=600)
    X = np.column_stack([marker, treated])
    logit = -2 * marker * (2 * treated - 1)
    y = rng.uniform(size=600) < 1 / (1 + np.exp(-logit))
    model = make_pipeline(
        PolynomialFeatures(interaction_only=True), LogisticRegression()
    ).fit(X, y)
    plain = recommend_treatment(model, X, treatment=1)
    cautious = recommend_treatment(model, X, treatment=1, min_difference=0.2)
    abstained = np.equal(cautious.recommended, None)
    assert 0 < abstained.sum() < 600
    assert np.all(cautious.margin[abstained] < 0.2)
    assert np.all(cautious.margin[~abstained] >= 0.2)
    np.testing.assert_allclose(
        cautious.margin, np.abs(np.diff(plain.risks, axis=1))[:, 0]
    )
    assert list(cautious.recommended[~abstained]) == list(plain.recommended[~abstained])
    assert np.isnan(cautious.risk_difference[abstained]).all()
    assert plain.recommended.dtype != object  # unchanged without min_difference
    with pytest.raises(ValueError, match="min_difference must be a number >= 0"):
        recommend_treatment(model, X, treatment=1, min_difference=-0.1)
