"""Shared data: small slices of real patient data, fitted once per module."""

import sys

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, make_blobs
from sklearn.preprocessing import StandardScaler


@pytest.fixture(autouse=True)
def no_global_tensorflow_seed_outlives_a_test():
    """A test that sets TensorFlow's global seed would seed every later test
    in its worker, and hide the determinism tests' failures or cause them."""
    yield
    if "tensorflow" in sys.modules:
        import tensorflow as tf

        assert tf.compat.v1.random.get_seed(None) == (None, None), (
            "this test left TensorFlow's global random seed set"
        )


@pytest.fixture(scope="session")
def cancer():
    """Wisconsin breast cancer data (569 patients), standardised, float64."""
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="session")
def cancer_raw():
    """The same data unscaled, as a pipeline would receive it."""
    return load_breast_cancer(return_X_y=True)


@pytest.fixture(scope="session")
def blobs3():
    """Three well separated classes, for multiclass behaviour."""
    X, y = make_blobs(n_samples=150, centers=3, n_features=4, random_state=0)
    return StandardScaler().fit_transform(X), y


@pytest.fixture
def tiny():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    return X, y


@pytest.fixture(scope="session")
def diabetes_scaled():
    """scikit-learn's diabetes data (442 patients), features and target standardised."""
    X, y = load_diabetes(return_X_y=True)
    return StandardScaler().fit_transform(X), (y - y.mean()) / y.std()


@pytest.fixture(scope="session")
def whas_scaled():
    """WHAS500 (500 patients): five numeric covariates, standardised."""
    from sksurv.datasets import load_whas500

    X, y = load_whas500()
    X = X[["age", "bmi", "hr", "sysbp", "diasbp"]].to_numpy(dtype=float)
    return StandardScaler().fit_transform(X), y
