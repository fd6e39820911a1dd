"""Pickling, joblib files and clone."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skprecmed import KerasNetClassifier

from ._helpers import predict_in_fresh_process
from ._instances import fast


@pytest.mark.slow
def test_joblib_pipeline_reloads_in_a_fresh_process(cancer_raw, tmp_path):
    X, y = cancer_raw
    pipe = make_pipeline(
        SimpleImputer(), StandardScaler(), KerasNetClassifier(**fast(epochs=3))
    ).fit(X, y)
    outputs, _ = predict_in_fresh_process(pipe, X, tmp_path, methods=("predict_proba",))
    np.testing.assert_array_equal(outputs["predict_proba"], pipe.predict_proba(X))


def test_pickle_round_trip_keeps_everything(cancer):
    X, y = cancer
    clf = KerasNetClassifier(**fast(metrics=["accuracy"])).fit(X, y)
    copy = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(copy.predict_proba(X), clf.predict_proba(X))
    assert copy.history_ == clf.history_
    assert copy.get_params() == clf.get_params()
    np.testing.assert_array_equal(copy.classes_, clf.classes_)
    # pickling did not touch the original
    assert clf.model_ is not copy.model_
    assert type(clf.model_).__name__ == "Functional"


def test_unfitted_estimator_pickles_and_raises_not_fitted(tiny):
    X, _ = tiny
    copy = pickle.loads(pickle.dumps(KerasNetClassifier(epochs=3)))
    assert copy.epochs == 3
    with pytest.raises(NotFittedError):
        copy.predict(X)


def test_clone_of_fitted_and_unfitted(tiny):
    X, y = tiny
    unfitted = KerasNetClassifier(**fast(hidden_layer_sizes=(4, 2)))
    fitted = clone(unfitted).fit(X, y)
    for original in (unfitted, fitted):
        copy = clone(original)
        assert copy.get_params() == original.get_params()
        assert not hasattr(copy, "model_")
    assert hasattr(fitted, "model_")


def test_clone_with_a_keras_model_parameter(tiny):
    import keras

    X, y = tiny
    net = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")]
    )
    clf = KerasNetClassifier(model=net, **fast())
    copy = clone(clf)
    assert copy.model is not net
    assert copy.fit(X, y).predict(X).shape == (40,)


@pytest.mark.parametrize(
    "architecture, X",
    [
        ("dense", np.random.RandomState(0).normal(size=(60, 4))),
        ("cnn1d", np.random.RandomState(0).normal(size=(60, 8, 4))),
        ("rnn", np.random.RandomState(0).normal(size=(60, 8, 4))),
        ("cnn2d", np.random.RandomState(0).normal(size=(60, 6, 6))),
    ],
)
def test_concurrent_first_use_of_a_reloaded_network(architecture, X):
    from concurrent.futures import ThreadPoolExecutor

    y = (X.reshape(len(X), -1)[:, 0] > 0).astype(int)
    params = fast(architecture=architecture, filters=4, kernel_size=3)
    fitted = KerasNetClassifier(**params, recurrent_units=4).fit(X, y)
    expected = fitted.predict_proba(X)
    copy = pickle.loads(pickle.dumps(fitted))
    assert "model_" not in vars(copy)  # the network loads on first use

    def first_use(_):  # dense nets predict in NumPy: ask for the network too
        return copy.model_.count_params(), copy.predict_proba(X)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(first_use, range(8)))
    assert {n for n, _ in results} == {fitted.model_.count_params()}
    for _, proba in results:
        np.testing.assert_array_equal(proba, expected)
