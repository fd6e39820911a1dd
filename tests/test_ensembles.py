"""Deep ensembles: k members trained side by side in one Keras model."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skprecmed import (
    KerasNetClassifier,
    KerasNetRegressor,
    KerasNetSurvivalAnalysis,
    load_model,
    save_model,
)

from ._helpers import ESTIMATOR_CLASSES, toy_data
from ._instances import fast


@pytest.mark.parametrize("cls", ESTIMATOR_CLASSES, ids=lambda cls: cls.__name__)
def test_ensemble_is_reproducible_and_differs_from_one_member(cls):
    X, y = toy_data(cls, n=80)
    first = cls(**fast(ensemble_size=3)).fit(X, y).predict(X)
    again = cls(**fast(ensemble_size=3)).fit(X, y).predict(X)
    np.testing.assert_array_equal(first, again)
    other = cls(**fast(ensemble_size=3, random_state=1)).fit(X, y).predict(X)
    assert not np.array_equal(first, other)


def test_members_are_different_networks_and_the_prediction_is_their_mean(cancer):
    X, y = cancer
    clf = KerasNetClassifier(**fast(ensemble_size=4)).fit(X, y)
    members = clf._forward_members(X)
    assert members.shape == (len(X), 4, 1)
    assert not np.allclose(members[:, 0], members[:, 1])  # own seeds
    np.testing.assert_allclose(
        clf.predict_proba(X)[:, 1], members[:, :, 0].mean(axis=1)
    )


def test_regressor_return_std_is_the_members_spread_in_y_units(diabetes_scaled):
    X, y = diabetes_scaled
    y_units = 150 + 77 * y  # disease progression in its own units
    reg = KerasNetRegressor(**fast(ensemble_size=5, epochs=20)).fit(X, y_units)
    mean, std = reg.predict(X, return_std=True)
    np.testing.assert_array_equal(mean, reg.predict(X))
    members = reg._forward_members(X)[:, :, 0] * reg._y_scale + reg._y_mean
    np.testing.assert_allclose(std, members.std(axis=1))
    assert 0 < np.median(std) < 77  # a spread in y's units, below y's own sd
    with pytest.raises(ValueError, match="return_std=True needs an ensemble"):
        KerasNetRegressor(**fast()).fit(X, y).predict(X, return_std=True)


def test_raw_unit_target_is_learned(diabetes_scaled):
    X, y = diabetes_scaled
    y_units = 152 + 77 * y  # as load_diabetes gives it: 25 to 346
    r2 = cross_val_score(
        KerasNetRegressor(random_state=0),
        X,
        y_units,
        cv=KFold(3, shuffle=True, random_state=0),
    )
    assert r2.mean() > 0.4  # RidgeCV reaches about 0.48


def test_clone_grid_search_pickle_and_safe_format_with_ensembles(cancer_raw, tmp_path):
    X, y = cancer_raw
    pipe = make_pipeline(StandardScaler(), KerasNetClassifier(**fast(ensemble_size=2)))
    search = GridSearchCV(
        pipe, {"kerasnetclassifier__ensemble_size": [1, 2]}, cv=2, scoring="roc_auc"
    ).fit(X, y)
    assert search.cv_results_["mean_test_score"].min() > 0.9
    model = clone(pipe).fit(X, y)
    expected = model.predict_proba(X)
    np.testing.assert_array_equal(
        pickle.loads(pickle.dumps(model)).predict_proba(X), expected
    )
    save_model(model, tmp_path / "m.skprecmed")
    loaded = load_model(tmp_path / "m.skprecmed")
    np.testing.assert_array_equal(loaded.predict_proba(X), expected)
    assert loaded[-1].model_.output.shape[-1] == 2  # the Keras archive loads too


def test_custom_model_with_an_ensemble_is_refused(tiny):
    import keras

    X, y = tiny
    net = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")]
    )
    with pytest.raises(ValueError, match="ensemble_size > 1 builds skprecmed's own"):
        KerasNetClassifier(model=net, ensemble_size=2).fit(X, y)


def test_survival_ensemble_averages_log_risks(whas_scaled):
    X, y = whas_scaled
    model = KerasNetSurvivalAnalysis(**fast(ensemble_size=3, batch_size=256)).fit(X, y)
    members = model._forward_members(X)[:, :, 0]
    np.testing.assert_allclose(model.predict(X), members.mean(axis=1) - model._offset)
    assert model.score(X, y) > 0.6


@pytest.mark.parametrize(
    "layout",
    [
        {"hidden_layer_sizes": (8, 4), "skip_connection": True, "alpha": 1e-3},
        {"hidden_layer_sizes": (6,), "batch_normalization": True, "dropout": 0.2},
        {"hidden_layer_sizes": ()},
    ],
)
def test_a_dense_ensemble_starts_as_its_members_built_alone(layout):
    """The members, one MembersDense per layer, are the networks of their seeds."""
    from skprecmed._network import _INT32_MAX, build_network

    X = np.random.RandomState(0).normal(size=(20, 5)).astype("float32")
    ensemble = build_network((5,), 3, "softmax", ensemble_size=4, seed=7, **layout)
    assert "MembersDense" in {type(layer).__name__ for layer in ensemble.layers}
    seeds = np.random.RandomState(7).randint(_INT32_MAX, size=4)
    alone = [
        np.asarray(build_network((5,), 3, "softmax", seed=int(s), **layout)(X))
        for s in seeds
    ]
    np.testing.assert_allclose(
        np.asarray(ensemble(X)), np.hstack(alone), rtol=1e-5, atol=1e-6
    )


def test_a_multi_class_ensembles_members_each_give_probabilities(blobs3):
    X, y = blobs3
    clf = KerasNetClassifier(**fast(ensemble_size=3)).fit(X, y)
    members = clf._forward_members(X)  # the NumPy plan
    assert members.shape == (len(X), 3, 3)
    np.testing.assert_allclose(members.sum(axis=2), 1.0, rtol=1e-5)
    keras_members = np.asarray(clf.model_(X.astype("float32"))).reshape(len(X), 3, 3)
    np.testing.assert_allclose(members, keras_members, atol=1e-5)


def test_large_hidden_layers_keep_the_members_side_by_side():
    # (5 x 256) x (5 x 256) kernels would be 25 times the members' own entries
    from skprecmed._network import build_network

    wide = build_network(
        (4,), 1, "sigmoid", hidden_layer_sizes=(256, 256), ensemble_size=5
    )
    small = build_network(
        (4,), 1, "sigmoid", hidden_layer_sizes=(32, 32), ensemble_size=5
    )
    assert "MembersDense" not in {type(layer).__name__ for layer in wide.layers}
    assert "MembersDense" in {type(layer).__name__ for layer in small.layers}
