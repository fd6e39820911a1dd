"""Calibration of a binary classifier: bins, Wilson bands, errors, plot (#12).

Bins must be scikit-learn's (checked against ``calibration_curve``); a
calibrated model's mean predictions lie inside the bands, deliberately
miscalibrated real models (squashed by heavy regularisation, or trained on a
tenfold shifted prevalence through ``class_weight``) lie outside them.
"""

import numpy as np
import pytest
from sklearn.calibration import calibration_curve
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skprecmed import KerasNetClassifier, classification_calibration, plot_calibration

from ._instances import fast

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


@pytest.fixture(scope="module")
def halves(cancer_raw):
    X, y = cancer_raw
    return train_test_split(X, y, test_size=0.5, random_state=0, stratify=y)


def _logistic(X, y, **params):
    return make_pipeline(StandardScaler(), LogisticRegression(**params)).fit(X, y)


def _inside(table):
    return (table["lower"] <= table["predicted"]) & (
        table["predicted"] <= table["upper"]
    )


@pytest.mark.parametrize("strategy", ["quantile", "uniform"])
@pytest.mark.parametrize("pos_label", [None, 0])
def test_bins_agree_with_calibration_curve(halves, strategy, pos_label):
    X_train, X_test, y_train, y_test = halves
    model = _logistic(X_train, y_train)
    table = classification_calibration(
        model, X_test, y_test, n_bins=8, strategy=strategy, pos_label=pos_label
    )
    column = 1 if pos_label is None else 0
    observed, predicted = calibration_curve(
        y_test,
        model.predict_proba(X_test)[:, column],
        n_bins=8,
        strategy=strategy,
        pos_label=1 if pos_label is None else pos_label,
    )
    np.testing.assert_allclose(table["predicted"], predicted)
    np.testing.assert_allclose(table["observed"], observed)
    assert table["n"].sum() == len(y_test)
    assert table["bin"].is_monotonic_increasing
    assert table["bin"].between(1, 8).all()
    assert (table["lower"] <= table["observed"]).all()
    assert (table["observed"] <= table["upper"]).all()
    if strategy == "quantile":
        assert table["n"].max() - table["n"].min() <= 1


def test_wilson_bands_follow_the_confidence(halves):
    X_train, X_test, y_train, y_test = halves
    model = _logistic(X_train, y_train)
    wide = classification_calibration(model, X_test, y_test, confidence=0.99)
    narrow = classification_calibration(model, X_test, y_test, confidence=0.5)
    assert (wide["upper"] - wide["lower"] > narrow["upper"] - narrow["lower"]).all()
    # Wilson, unlike the normal approximation, gives a bin whose patients are
    # all positive an interval of real width
    certain = wide[wide["observed"] == 1.0]
    assert len(certain)
    assert (certain["upper"] == 1.0).all() and (certain["lower"] < 0.97).all()


def test_calibrated_model_within_bands_miscalibrated_outside(halves):
    X_train, X_test, y_train, y_test = halves
    honest = classification_calibration(
        _logistic(X_train, y_train), X_test, y_test, n_bins=5, pos_label=0
    )
    assert _inside(honest).all()
    # heavy regularisation squashes the risks towards the prevalence:
    # too high for the lowest-risk patients, too low for the highest
    squashed = classification_calibration(
        _logistic(X_train, y_train, C=1e-3), X_test, y_test, n_bins=5, pos_label=0
    )
    assert not _inside(squashed).any()
    assert squashed["predicted"].iloc[0] > squashed["upper"].iloc[0]
    assert squashed["predicted"].iloc[-1] < squashed["lower"].iloc[-1]
    # malignancy weighted ten times in training (a tenfold prevalence shift)
    # on one feature: every risk is overestimated
    shifted_model = _logistic(X_train[:, :1], y_train, class_weight={0: 10, 1: 1})
    shifted = classification_calibration(
        shifted_model, X_test[:, :1], y_test, n_bins=5, pos_label=0
    )
    assert _inside(shifted).sum() <= 1
    assert (shifted["predicted"] >= shifted["observed"]).all()


def test_keras_classifier_and_string_labels(cancer):
    X, y = cancer
    labels = np.array(["benign", "malignant"])[1 - y]
    model = KerasNetClassifier(**fast(epochs=3)).fit(X[::2], labels[::2])
    table = classification_calibration(
        model, X[1::2], labels[1::2], n_bins=4, pos_label="malignant"
    )
    column = list(model.classes_).index("malignant")
    observed, predicted = calibration_curve(
        labels[1::2],
        model.predict_proba(X[1::2])[:, column].astype(float),
        n_bins=4,
        strategy="quantile",
        pos_label="malignant",
    )
    np.testing.assert_allclose(table["predicted"], predicted)
    np.testing.assert_allclose(table["observed"], observed)
    assert table["n"].sum() == len(X[1::2])


def test_errors(halves, blobs3):
    X_train, X_test, y_train, y_test = halves
    model = _logistic(X_train, y_train)
    with pytest.raises(ValueError, match="n_bins must be an integer >= 1"):
        classification_calibration(model, X_test, y_test, n_bins=0)
    with pytest.raises(ValueError, match="strategy must be"):
        classification_calibration(model, X_test, y_test, strategy="kmeans")
    with pytest.raises(ValueError, match="confidence must be"):
        classification_calibration(model, X_test, y_test, confidence=95)
    with pytest.raises(ValueError, match="pos_label=2 is not among the classes"):
        classification_calibration(model, X_test, y_test, pos_label=2)
    with pytest.raises(ValueError, match="not among the classes"):
        classification_calibration(model, X_test, y_test + 5)
    with pytest.raises(ValueError, match="needs a binary classifier and binary y"):
        classification_calibration(model, X_test, np.arange(len(y_test)) % 3)
    X3, y3 = blobs3
    three = LogisticRegression().fit(X3, y3)
    with pytest.raises(ValueError, match="needs a binary classifier"):
        classification_calibration(three, X3, y3)
    for no_proba in (SVC().fit(X_train[:100], y_train[:100]), LinearRegression()):
        with pytest.raises(ValueError, match="has no predict_proba"):
            classification_calibration(no_proba, X_test, y_test)
    no_proba_pipe = make_pipeline(StandardScaler(), SVC()).fit(X_train, y_train)
    with pytest.raises(ValueError, match="Pipeline has no predict_proba"):
        classification_calibration(no_proba_pipe, X_test, y_test)


def test_plot_calibration(halves):
    X_train, X_test, y_train, y_test = halves
    honest = classification_calibration(
        _logistic(X_train, y_train), X_test, y_test, n_bins=5
    )
    squashed = classification_calibration(
        _logistic(X_train, y_train, C=1e-3), X_test, y_test, n_bins=5
    )
    ax = plot_calibration(honest, label="logistic")
    plot_calibration(squashed, ax=ax, label="over-regularised")
    assert [line.get_label() for line in ax.get_lines()] == [
        "ideal",
        "logistic",
        "over-regularised",
    ]
    diagonal, curve, _ = ax.get_lines()
    np.testing.assert_allclose(diagonal.get_xdata(), [0, 1])
    np.testing.assert_allclose(curve.get_xdata(), np.sort(honest["predicted"]))
    assert len(ax.collections) == 2  # one band per curve
    assert ax.get_xlabel() == "predicted risk"
    assert ax.get_ylabel() == "observed frequency"
    assert [t.get_text() for t in ax.get_legend().get_texts()][0] == "ideal"
    assert plot_calibration(honest).get_lines()[1].get_label() == "observed"
    with pytest.raises(ValueError, match="table lacks the columns"):
        plot_calibration(honest.drop(columns="lower"))
