"""KerasNetRegressor on disease progression (sklearn's diabetes data)."""

import numpy as np
import pytest
from sklearn.base import is_regressor
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_diabetes
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import get_tags

from skprecmed import KerasNetRegressor

from ._helpers import assert_same_search_with_n_jobs, predict_in_fresh_process
from ._instances import fast


@pytest.fixture(scope="module")
def diabetes():
    """442 patients, 10 baseline variables, progression one year later."""
    return load_diabetes(return_X_y=True)


def _model(**params):
    return TransformedTargetRegressor(
        make_pipeline(StandardScaler(), KerasNetRegressor(**fast(**params))),
        transformer=StandardScaler(),
    )


def test_is_a_multi_output_regressor():
    reg = KerasNetRegressor()
    assert is_regressor(reg)
    assert get_tags(reg).estimator_type == "regressor"
    assert get_tags(reg).target_tags.multi_output


def test_linear_output_and_mean_squared_error(diabetes):
    X, y = diabetes
    reg = KerasNetRegressor(**fast()).fit(StandardScaler().fit_transform(X), y / 100)
    output = reg.model_.get_layer("output")
    assert (output.units, output.activation.__name__) == (1, "linear")
    assert reg.model_.loss.__name__ == "mean_squared_error"
    assert reg.n_outputs_ == 1
    assert reg.predict(X[:4]).shape == (4,)


def test_other_keras_losses(diabetes):
    X, y = diabetes
    reg = KerasNetRegressor(**fast(loss="mean_absolute_error")).fit(X, y / 100)
    assert reg.model_.loss.__name__ == "mean_absolute_error"


def test_multi_output(diabetes):
    X, y = diabetes
    X = StandardScaler().fit_transform(X)
    Y = np.column_stack([y, X[:, 2] * 2]) / np.array([100.0, 1.0])
    reg = KerasNetRegressor(**fast(epochs=30)).fit(X, Y)
    assert reg.n_outputs_ == 2 and reg.model_.get_layer("output").units == 2
    pred = reg.predict(X)
    assert pred.shape == (442, 2)
    # the second target is a feature: learned almost exactly
    assert np.corrcoef(pred[:, 1], Y[:, 1])[0, 1] > 0.95
    # the network learns standardised targets; predict answers in y's units
    keras_out = np.asarray(reg.model_(X.astype("float32"))) * reg._y_scale + reg._y_mean
    np.testing.assert_allclose(pred, keras_out, atol=1e-4)


def test_cross_validated_r2_and_mae_on_diabetes(diabetes):
    X, y = diabetes
    cv = KFold(3, shuffle=True, random_state=0)
    r2 = cross_val_score(_model(epochs=30), X, y, scoring="r2", cv=cv)
    mae = cross_val_score(
        _model(epochs=30), X, y, scoring="neg_mean_absolute_error", cv=cv
    )
    assert r2.mean() > 0.35  # linear models reach about 0.48 here
    assert -mae.mean() < 50  # progression spans 25..346


@pytest.mark.slow
def test_grid_search_same_result_with_one_or_two_jobs(diabetes):
    X, y = diabetes
    grid = {"regressor__kerasnetregressor__hidden_layer_sizes": [(4,), (16,)]}
    cv = KFold(3, shuffle=True, random_state=0)
    assert_same_search_with_n_jobs(
        lambda n: GridSearchCV(_model(epochs=10), grid, scoring="r2", cv=cv, n_jobs=n),
        X,
        y,
    )


@pytest.mark.slow
def test_joblib_round_trip_in_a_fresh_process(diabetes, tmp_path):
    X, y = diabetes
    model = _model().fit(X, y)
    outputs, _ = predict_in_fresh_process(model, X, tmp_path)
    np.testing.assert_array_equal(outputs["predict"], model.predict(X))


def test_same_seed_same_predictions(diabetes):
    X, y = diabetes
    a = _model(dropout=0.1).fit(X, y).predict(X)
    b = _model(dropout=0.1).fit(X, y).predict(X)
    np.testing.assert_array_equal(a, b)


def test_string_target_is_rejected(diabetes):
    X, _ = diabetes
    with pytest.raises(ValueError, match="could not convert string to float: .*'high'"):
        KerasNetRegressor().fit(X, np.array(["high", "low"] * 221))
