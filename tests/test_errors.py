"""Bad input gets a clear error naming the problem, and nothing is mutated."""

import copy

import numpy as np
import pytest
import scipy.sparse as sp

from skprecmed import KerasNetClassifier, KerasNetRegressor, KerasNetSurvivalAnalysis

from ._helpers import ESTIMATOR_CLASSES, toy_data
from ._instances import fast

every_estimator = pytest.mark.parametrize(
    "cls", ESTIMATOR_CLASSES, ids=lambda cls: cls.__name__
)


@pytest.fixture(scope="module", params=ESTIMATOR_CLASSES, ids=lambda c: c.__name__)
def fitted(request):
    cls = request.param
    return cls(**fast()).fit(*toy_data(cls))


@every_estimator
@pytest.mark.parametrize(
    "bad, message",
    [
        (np.nan, "(?s)Input X contains NaN.*imputer"),
        (np.inf, "Input X contains infinity"),
    ],
)
def test_nan_or_inf_without_imputer(cls, bad, message):
    X, y = toy_data(cls)
    X[3, 1] = bad
    with pytest.raises(ValueError, match=message):
        cls(**fast()).fit(X, y)


def test_nan_at_predict(fitted):
    X, _ = toy_data(type(fitted))
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        fitted.predict(X)


def test_wrong_number_of_features_at_predict(fitted):
    name = type(fitted).__name__
    with pytest.raises(
        ValueError, match=f"X has 4 features, but {name} is expecting 3"
    ):
        fitted.predict(np.zeros((2, 4)))


@every_estimator
def test_empty_X(cls):
    X, y = toy_data(cls)
    with pytest.raises(ValueError, match="0 sample"):
        cls().fit(X[:0], y[:0])


@every_estimator
def test_sparse_X(cls):
    X, y = toy_data(cls)
    with pytest.raises(
        TypeError, match="Sparse data was passed.*dense data is required"
    ):
        cls().fit(sp.csr_matrix(X), y)


@every_estimator
def test_three_dimensional_X_for_the_dense_net(cls):
    X, y = toy_data(cls)
    with pytest.raises(ValueError, match="Found array with dim 3.*<= 2"):
        cls().fit(X.reshape(40, 3, 1), y)


@every_estimator
@pytest.mark.parametrize(
    "params, message",
    [
        (
            {"hidden_layer_sizes": (8, 0)},
            "hidden_layer_sizes must be a sequence of positive",
        ),
        ({"dropout": 1.0}, "'dropout' parameter"),
        ({"epochs": 0}, "'epochs' parameter"),
        ({"recurrent_units": 0}, "'recurrent_units' parameter"),
    ],
)
def test_bad_hyperparameters(cls, params, message):
    X, y = toy_data(cls)
    with pytest.raises(ValueError, match=message):
        cls(**params).fit(X, y)


@every_estimator
def test_all_zero_sample_weight(cls):
    X, y = toy_data(cls)
    with pytest.raises(ValueError, match="sample_weight is zero for every sample"):
        cls().fit(X, y, sample_weight=np.zeros(40))


@every_estimator
def test_negative_sample_weight(cls):
    X, y = toy_data(cls)
    weights = np.ones(40)
    weights[7] = -1
    with pytest.raises(ValueError, match="sample_weight has negative values"):
        cls().fit(X, y, sample_weight=weights)


@every_estimator
def test_diverging_training_names_the_likely_cause(cls):
    X, y = toy_data(cls)
    X[:, 0] *= 1e30  # one feature on a wildly different scale
    with pytest.raises(ValueError, match="(?s)Training diverged.*StandardScaler"):
        cls(**fast()).fit(X, y)


def test_non_finite_predictions_are_refused(cancer):
    X, y = cancer
    reg = KerasNetRegressor(**fast()).fit(X, y)
    # float32 rows are predicted in float32: 30 features near its maximum overflow
    rows = np.vstack([X[:1], np.full((1, 30), 3e38)]).astype(np.float32)
    with pytest.raises(ValueError, match="output is not finite for 1 of 2 samples"):
        reg.predict(rows)


def test_single_class():
    X, _ = toy_data(KerasNetClassifier)
    with pytest.raises(ValueError, match="at least 2 classes.*only one class: 'sick'"):
        KerasNetClassifier().fit(X, np.full(40, "sick"))


@pytest.mark.parametrize("cls", [KerasNetClassifier, KerasNetRegressor])
def test_nan_in_y(cls):
    X, y = toy_data(cls)
    y = y.astype(float)
    y[5] = np.nan
    with pytest.raises(ValueError, match="Input y contains NaN"):
        cls().fit(X, y)


def test_continuous_y_is_not_a_class_label():
    X, _ = toy_data(KerasNetClassifier)
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        KerasNetClassifier().fit(X, X[:, 0])


@pytest.mark.parametrize(
    "class_weight, message",
    [
        ("equal", "'class_weight' parameter"),
        ({0: 1, 7: 2}, r"class_weight names labels that are not in y: \[7\]"),
    ],
)
def test_bad_class_weight(class_weight, message):
    X, y = toy_data(KerasNetClassifier)
    with pytest.raises(ValueError, match=message):
        KerasNetClassifier(class_weight=class_weight).fit(X, y)


def test_survival_target_must_be_structured():
    X, y = toy_data(KerasNetRegressor)
    with pytest.raises(ValueError, match="y must be a structured array"):
        KerasNetSurvivalAnalysis().fit(X, y)


def _builder(meta, compile_kwargs, units):
    import keras

    net = keras.Sequential(
        [
            keras.Input((3,)),
            keras.layers.Dense(units),
            # one unit, or one per interval and cause (discrete-time survival)
            keras.layers.Dense(meta.get("n_time_bins_", 1) * meta.get("n_causes_", 1)),
        ]
    )
    net.compile(**compile_kwargs)
    return net


@every_estimator
def test_nothing_passed_is_mutated(cls):
    X, y = toy_data(cls)
    X32 = X.astype(np.float32)
    sample_weight = np.linspace(0.5, 2, 40)
    model_kwargs = {"units": 3}
    extra = {"class_weight": {0: 1.0, 1: 2.0}} if cls is KerasNetClassifier else {}
    originals = copy.deepcopy((X32, y, sample_weight, model_kwargs, extra))
    est = cls(
        **fast(model=_builder, model_kwargs=model_kwargs, early_stopping=True, **extra)
    )
    params = copy.deepcopy({k: v for k, v in est.get_params().items() if k != "model"})
    est.fit(X32, y, sample_weight=sample_weight)
    est.predict(X32)
    passed = (X32, y, sample_weight, model_kwargs, extra)
    for before, after in zip(originals, passed, strict=True):
        if isinstance(before, np.ndarray):
            np.testing.assert_array_equal(before, after)
        else:
            assert before == after
    assert {k: v for k, v in est.get_params().items() if k != "model"} == params
