"""partial_fit: one epoch per call, continuing the network; fit restarts."""

import pickle

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from skprecmed import (
    KerasNetClassifier,
    KerasNetRegressor,
    KerasNetSurvivalAnalysis,
    set_trainer_cache_size,
)

from ._instances import fast

#: one architecture for every test here, so its trainer is traced once
PARAMS = fast(batch_size=32, early_stopping=False)


def _chunks(n, size):
    return np.array_split(np.arange(n), -(-n // size))


def _weights(est):
    return [np.array(w) for w in est.model_.weights]


def _train_in_chunks(est, X, y, passes=1, **kwargs):
    for _ in range(passes):
        for rows in _chunks(len(X), 100):
            est.partial_fit(X[rows], y[rows], **kwargs)
    return est


def test_chunks_learn_one_epoch_per_call(cancer):
    X, y = cancer
    clf = _train_in_chunks(
        KerasNetClassifier(**PARAMS), X[:400], y[:400], 2, classes=[0, 1]
    )
    assert clf.n_iter_ == 8 and len(clf.history_["loss"]) == 8
    assert roc_auc_score(y[400:], clf.predict_proba(X[400:])[:, 1]) > 0.97
    assert clf.history_["loss"][-1] < clf.history_["loss"][0]


def test_partial_fit_after_fit_continues_weights_and_optimizer(cancer):
    X, y = cancer
    clf = KerasNetClassifier(**PARAMS).fit(X[:320], y[:320])
    before, steps = _weights(clf), int(clf.model_.optimizer.iterations.numpy())
    fitted_losses = list(clf.history_["loss"])
    clf.partial_fit(X[:320], y[:320])  # classes_ known from fit
    assert int(clf.model_.optimizer.iterations.numpy()) == steps + 10  # 320 / 32
    assert any(
        not np.array_equal(a, b) for a, b in zip(before, _weights(clf), strict=True)
    )
    assert clf.history_["loss"][:-1] == fitted_losses and clf.n_iter_ == 6
    # trained further, not restarted: below every epoch of the fit
    assert clf.history_["loss"][-1] < min(fitted_losses)


def test_fit_restarts_after_partial_fit(cancer):
    X, y = cancer
    clf = _train_in_chunks(
        KerasNetClassifier(**PARAMS), X[:200], y[:200], classes=[0, 1]
    )
    clf.fit(X[:320], y[:320])
    fresh = KerasNetClassifier(**PARAMS).fit(X[:320], y[:320])
    assert clf.n_iter_ == fresh.n_iter_ == 5
    np.testing.assert_array_equal(clf.predict_proba(X), fresh.predict_proba(X))


def test_partial_fit_is_reproducible_with_or_without_the_trainer_cache(cancer):
    X, y = cancer
    cached = _train_in_chunks(
        KerasNetClassifier(**PARAMS), X[:300], y[:300], classes=[0, 1]
    )
    again = _train_in_chunks(
        KerasNetClassifier(**PARAMS), X[:300], y[:300], classes=[0, 1]
    )
    previous = set_trainer_cache_size(0)
    try:
        direct = _train_in_chunks(
            KerasNetClassifier(**PARAMS), X[:300], y[:300], classes=[0, 1]
        )
    finally:
        set_trainer_cache_size(previous)
    for other in (again, direct):
        np.testing.assert_array_equal(cached.predict_proba(X), other.predict_proba(X))


def test_a_pickled_estimator_continues_as_the_original(cancer):
    X, y = cancer
    clf = KerasNetClassifier(**PARAMS).partial_fit(X[:100], y[:100], classes=[0, 1])
    copy = pickle.loads(pickle.dumps(clf))
    for est in (clf, copy):
        est.partial_fit(X[100:200], y[100:200])
    np.testing.assert_allclose(copy.predict_proba(X), clf.predict_proba(X), atol=1e-6)


def test_a_chunk_may_lack_classes_given_on_the_first_call(blobs3):
    X, y = blobs3
    clf = KerasNetClassifier(**PARAMS)
    clf.partial_fit(X[y == 0], y[y == 0], classes=[0, 1, 2])
    clf.partial_fit(X[y != 0], y[y != 0])
    assert clf.classes_.tolist() == [0, 1, 2]
    assert clf.predict_proba(X).shape == (150, 3)


def test_classifier_partial_fit_errors(tiny):
    X, y = tiny
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        KerasNetClassifier(**PARAMS).partial_fit(X, y)
    with pytest.raises(ValueError, match=r"labels that are not in classes: \[7\]"):
        KerasNetClassifier(**PARAMS).partial_fit(X, np.where(y, 7, 0), classes=[0, 1])
    with pytest.raises(ValueError, match="'balanced' is not supported by partial_fit"):
        KerasNetClassifier(**PARAMS, class_weight="balanced").partial_fit(
            X, y, classes=[0, 1]
        )
    clf = KerasNetClassifier(**PARAMS).partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="not the same as on the first call"):
        clf.partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="X has 2 features, but .* expecting 3"):
        clf.partial_fit(X[:, :2], y)


def test_feature_names_are_checked_against_the_first_call(tiny):
    pd = pytest.importorskip("pandas")
    X, y = tiny
    frame = pd.DataFrame(X, columns=["age", "bmi", "hr"])
    clf = KerasNetClassifier(**PARAMS).partial_fit(frame, y, classes=[0, 1])
    with pytest.raises(ValueError, match="feature names should match"):
        clf.partial_fit(frame.rename(columns={"hr": "sysbp"}), y)


def test_regressor_keeps_the_first_chunk_standardisation(diabetes_scaled):
    X, y = diabetes_scaled
    y = 150 + 75 * y  # in clinical units
    reg = KerasNetRegressor(**PARAMS, ensemble_size=2)
    chunks = _chunks(400, 100)
    for rows in chunks * 3:
        reg.partial_fit(X[rows], y[rows])
    first = y[chunks[0]]
    np.testing.assert_allclose(reg._y_mean, [first.mean()])
    np.testing.assert_allclose(reg._y_scale, [first.std()])
    pred, std = reg.predict(X[400:], return_std=True)
    assert pred.shape == std.shape == (42,) and reg.n_iter_ == 12
    assert reg.score(X[400:], y[400:]) > 0.3
    with pytest.raises(ValueError, match="first fitted on a target with 1 output"):
        reg.partial_fit(X[:10], np.column_stack([y[:10], y[:10]]))


def test_survival_has_no_partial_fit():
    # its Breslow baseline needs every training row under the final network
    assert not hasattr(KerasNetSurvivalAnalysis(), "partial_fit")
