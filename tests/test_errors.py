"""Bad input gets a clear error naming the problem, and nothing is mutated."""

import copy

import numpy as np
import pytest
import scipy.sparse as sp

from skprecmed import KerasNetClassifier

from ._instances import fast


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    return KerasNetClassifier(**fast()).fit(X, (X[:, 0] > 0).astype(int))


def _xy():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    return X, (X[:, 0] > 0).astype(int)


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.nan, "(?s)Input X contains NaN.*imputer"),
        (np.inf, "Input X contains infinity"),
    ],
)
def test_nan_or_inf_without_imputer(bad, message):
    X, y = _xy()
    X[3, 1] = bad
    with pytest.raises(ValueError, match=message):
        KerasNetClassifier(**fast()).fit(X, y)


def test_nan_at_predict(fitted):
    X, _ = _xy()
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        fitted.predict_proba(X)


def test_wrong_number_of_features_at_predict(fitted):
    with pytest.raises(ValueError, match="X has 4 features, but KerasNetClassifier is expecting 3"):
        fitted.predict(np.zeros((2, 4)))


def test_empty_X():
    with pytest.raises(ValueError, match="0 sample"):
        KerasNetClassifier().fit(np.zeros((0, 3)), np.zeros(0))


def test_single_class():
    X, _ = _xy()
    with pytest.raises(ValueError, match="at least 2 classes.*only one class: 'sick'"):
        KerasNetClassifier().fit(X, np.full(40, "sick"))


def test_nan_in_y():
    X, y = _xy()
    y = y.astype(float)
    y[5] = np.nan
    with pytest.raises(ValueError, match="Input y contains NaN"):
        KerasNetClassifier().fit(X, y)


def test_continuous_y_is_not_a_class_label():
    X, _ = _xy()
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        KerasNetClassifier().fit(X, X[:, 0])


def test_sparse_X():
    X, y = _xy()
    with pytest.raises(TypeError, match="Sparse data was passed.*dense data is required"):
        KerasNetClassifier().fit(sp.csr_matrix(X), y)


def test_three_dimensional_X_for_the_dense_net():
    X, y = _xy()
    with pytest.raises(ValueError, match="Found array with dim 3.*<= 2"):
        KerasNetClassifier().fit(X.reshape(40, 3, 1), y)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"hidden_layer_sizes": (8, 0)}, "hidden_layer_sizes must be a sequence of positive"),
        ({"dropout": 1.0}, "'dropout' parameter"),
        ({"epochs": 0}, "'epochs' parameter"),
        ({"class_weight": "equal"}, "'class_weight' parameter"),
        ({"class_weight": {0: 1, 7: 2}}, r"class_weight names labels that are not in y: \[7\]"),
    ],
)
def test_bad_hyperparameters(params, message):
    X, y = _xy()
    with pytest.raises(ValueError, match=message):
        KerasNetClassifier(**params).fit(X, y)


def test_all_zero_sample_weight():
    X, y = _xy()
    with pytest.raises(ValueError, match="(non-zero|zero for every sample)"):
        KerasNetClassifier().fit(X, y, sample_weight=np.zeros(40))


def test_nothing_passed_is_mutated():
    X, y = _xy()
    X32 = X.astype(np.float32)
    sample_weight = np.linspace(0.5, 2, 40)
    class_weight = {0: 1.0, 1: 2.0}
    model_kwargs = {"units": 3}

    def build(meta, compile_kwargs, units):
        import keras

        net = keras.Sequential(
            [keras.Input((3,)), keras.layers.Dense(units), keras.layers.Dense(1, activation="sigmoid")]
        )
        net.compile(**compile_kwargs)
        return net

    originals = copy.deepcopy((X32, y, sample_weight, class_weight, model_kwargs))
    clf = KerasNetClassifier(
        **fast(class_weight=class_weight, model=build, model_kwargs=model_kwargs, early_stopping=True)
    )
    params = copy.deepcopy({k: v for k, v in clf.get_params().items() if k != "model"})
    clf.fit(X32, y, sample_weight=sample_weight)
    clf.predict_proba(X32)
    for before, after in zip(originals, (X32, y, sample_weight, class_weight, model_kwargs)):
        if isinstance(before, np.ndarray):
            np.testing.assert_array_equal(before, after)
        else:
            assert before == after
    assert {k: v for k, v in clf.get_params().items() if k != "model"} == params
