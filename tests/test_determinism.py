"""random_state: reproducible fits that leave the process's global state alone."""

import random

import numpy as np
import pytest
from sklearn.base import clone

from skprecmed import KerasNetClassifier

from ._helpers import ESTIMATOR_CLASSES, toy_data
from ._instances import fast


def _global_state():
    import os

    import tensorflow as tf
    from tensorflow.python.framework import config  # no public getter exists

    return {
        "env": os.environ.get("TF_DETERMINISTIC_OPS"),
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "tf_seed": tf.compat.v1.random.get_seed(None),
        "op_determinism": config.is_op_determinism_enabled(),
    }


def test_same_seed_gives_bit_identical_probabilities(cancer):
    X, y = cancer
    params = fast(dropout=0.2, early_stopping=True, epochs=8)
    first = KerasNetClassifier(**params).fit(X, y).predict_proba(X)
    second = KerasNetClassifier(**params).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(first, second)
    other = (
        KerasNetClassifier(**{**params, "random_state": 1}).fit(X, y).predict_proba(X)
    )
    assert not np.array_equal(first, other)


def test_seeded_fit_leaves_global_random_state_untouched(cancer):
    import tensorflow as tf

    X, y = cancer
    KerasNetClassifier(**fast()).fit(X[:50], y[:50])  # TensorFlow is imported
    before = _global_state()
    KerasNetClassifier(**fast(dropout=0.1)).fit(X, y)
    after = _global_state()
    assert after["python"] == before["python"]
    np.testing.assert_array_equal(after["numpy"][1], before["numpy"][1])
    assert after["numpy"][2:] == before["numpy"][2:]
    assert after["tf_seed"] == before["tf_seed"] == (None, None)
    assert not after["op_determinism"] and after["env"] is None
    # an unseeded TensorFlow random op still works and is still random
    a, b = tf.random.uniform((4,)).numpy(), tf.random.uniform((4,)).numpy()
    assert not np.array_equal(a, b)


def test_random_state_instance_is_used_not_collapsed_to_zero(tiny):
    X, y = tiny
    probas = [
        KerasNetClassifier(**fast(random_state=np.random.RandomState(seed)))
        .fit(X, y)
        .predict_proba(X)
        for seed in (1, 2)
    ]
    assert not np.array_equal(*probas)
    again = KerasNetClassifier(**fast(random_state=np.random.RandomState(1))).fit(X, y)
    np.testing.assert_array_equal(again.predict_proba(X), probas[0])


def test_refit_of_a_clone_reproduces(tiny):
    X, y = tiny
    clf = KerasNetClassifier(**fast()).fit(X, y)
    np.testing.assert_array_equal(
        clone(clf).fit(X, y).predict_proba(X), clf.predict_proba(X)
    )


@pytest.mark.parametrize("shuffle", [True, False])
def test_shuffle_is_seeded(tiny, shuffle):
    X, y = tiny
    a = KerasNetClassifier(**fast(shuffle=shuffle, batch_size=8)).fit(X, y)
    b = KerasNetClassifier(**fast(shuffle=shuffle, batch_size=8)).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


@pytest.mark.parametrize("cls", ESTIMATOR_CLASSES, ids=lambda cls: cls.__name__)
def test_every_estimator_reproduces_and_leaves_global_state_alone(cls):
    X, y = toy_data(cls, n=60)
    params = fast(dropout=0.1, early_stopping=True, epochs=6)
    cls(**params).fit(X, y)  # TensorFlow is imported
    before = _global_state()
    first = cls(**params).fit(X, y).predict(X)
    after = _global_state()
    np.testing.assert_array_equal(cls(**params).fit(X, y).predict(X), first)
    assert after["python"] == before["python"]
    np.testing.assert_array_equal(after["numpy"][1], before["numpy"][1])
    assert after["tf_seed"] == before["tf_seed"]
