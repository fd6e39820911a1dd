"""The NumPy inference path gives the Keras model's own predictions."""

import pickle

import numpy as np
import pytest

from skprecmed import KerasNetClassifier
from skprecmed._inference import ATOL, make_plan

from ._helpers import predict_in_fresh_process
from ._instances import fast


def _keras_outputs(clf, X):
    return np.asarray(clf.model_(np.asarray(X, dtype=np.float32), training=False))


def _assert_fast_path_matches_keras(clf, X):
    assert clf._inference_plan is not None
    proba = clf.predict_proba(X)
    raw = _keras_outputs(clf, X)
    keras_proba = np.hstack([1 - raw, raw]) if raw.shape[1] == 1 else raw
    np.testing.assert_allclose(proba, keras_proba, rtol=0, atol=1e-5)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"hidden_layer_sizes": (8, 4), "activation": "tanh", "dropout": 0.3},
        {"hidden_layer_sizes": (8,), "batch_normalization": True, "alpha": 0.01},
        {"hidden_layer_sizes": ()},
    ],
    ids=["default", "deep-tanh-dropout", "batchnorm", "no-hidden-layer"],
)
def test_fast_path_matches_keras(cancer, params):
    X, y = cancer
    clf = KerasNetClassifier(**fast(**params)).fit(X, y)
    _assert_fast_path_matches_keras(clf, X)
    _assert_fast_path_matches_keras(clf, X[:1])  # one patient


@pytest.mark.parametrize(
    "activation",
    [
        "sigmoid",
        "elu",
        "selu",
        "gelu",
        "softplus",
        "softsign",
        "swish",
        "leaky_relu",
        "linear",
    ],
)
def test_fast_path_activations(tiny, activation):
    X, y = tiny
    clf = KerasNetClassifier(**fast(activation=activation)).fit(X, y)
    _assert_fast_path_matches_keras(clf, X * 3)  # beyond the training range too


def test_fast_path_multiclass_softmax(blobs3):
    X, y = blobs3
    clf = KerasNetClassifier(**fast()).fit(X, y)
    _assert_fast_path_matches_keras(clf, X)


def test_user_sequential_chain_gets_a_plan(cancer):
    import keras

    X, y = cancer
    net = keras.Sequential(
        [
            keras.Input((30,)),
            keras.layers.Dense(6),
            keras.layers.Activation("relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    clf = KerasNetClassifier(model=net, **fast()).fit(X, y)
    _assert_fast_path_matches_keras(clf, X)


def test_unsupported_network_falls_back_to_keras(cancer):
    import keras

    X, y = cancer

    def build(meta, compile_kwargs):
        inputs = keras.Input((meta["n_features_in_"],))
        left = keras.layers.Dense(4, activation="relu")(inputs)
        right = keras.layers.Dense(4, activation="tanh")(inputs)
        outputs = keras.layers.Dense(1, activation="sigmoid")(
            keras.layers.Multiply()([left, right])  # no plan step for this
        )
        model = keras.Model(inputs, outputs)
        model.compile(**compile_kwargs)
        return model

    clf = KerasNetClassifier(model=build, **fast()).fit(X, y)
    assert clf._inference_plan is None
    raw = _keras_outputs(clf, X)
    np.testing.assert_allclose(clf.predict_proba(X)[:, 1], raw[:, 0], atol=1e-6)


def test_unknown_activation_gets_no_plan(tiny):
    import keras

    X, y = tiny
    clf = KerasNetClassifier(**fast()).fit(X, y)
    clf.model_.get_layer("hidden_0").activation = keras.activations.hard_silu
    assert make_plan(clf.model_, 3, probe=X) is None


def test_a_plan_that_disagrees_with_its_model_is_rejected(tiny, monkeypatch):
    from skprecmed import _inference

    X, y = tiny
    clf = KerasNetClassifier(**fast()).fit(X, y)
    assert make_plan(clf.model_, 3, probe=X) is not None
    # a wrong NumPy relu: the numerical check against Keras must catch it
    monkeypatch.setitem(_inference._ACTIVATIONS, "relu", np.abs)
    assert make_plan(clf.model_, 3, probe=X) is None
    assert ATOL == 1e-5


def test_a_plan_not_to_check_is_not_checked(tiny, monkeypatch):
    from skprecmed import _inference

    X, y = tiny
    clf = KerasNetClassifier(**fast()).fit(X, y)
    monkeypatch.setitem(_inference._ACTIVATIONS, "relu", np.abs)
    assert make_plan(clf.model_, 3, probe=X, check=False) is not None


def test_a_trainers_later_fits_keep_a_plan_that_matches_keras(cancer):
    from skprecmed import _trainers, clear_trainer_cache

    X, y = cancer
    clear_trainer_cache()
    KerasNetClassifier(**fast()).fit(X, y)
    (trainer,) = _trainers._trainers.values()
    assert trainer.checked == {"inference plan"}
    # other weights, the same trainer: its plan is not checked again, and
    # still gives Keras' outputs
    later = KerasNetClassifier(**fast(random_state=7, learning_rate_init=0.05))
    later.fit(X, y)
    assert list(_trainers._trainers.values()) == [trainer]
    _assert_fast_path_matches_keras(later, X)
    clear_trainer_cache()


def test_pickled_model_is_loaded_lazily(cancer):
    X, y = cancer
    clf = KerasNetClassifier(**fast()).fit(X, y)
    copy = pickle.loads(pickle.dumps(clf))
    assert "model_" not in vars(copy)
    np.testing.assert_array_equal(copy.predict_proba(X), clf.predict_proba(X))
    assert "model_" not in vars(copy)  # prediction did not need Keras
    weights = copy.model_.get_weights()  # first use loads the network
    for a, b in zip(weights, clf.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    twice = pickle.loads(pickle.dumps(pickle.loads(pickle.dumps(clf))))
    np.testing.assert_array_equal(twice.predict_proba(X), clf.predict_proba(X))


@pytest.mark.slow
def test_reloaded_dense_net_scores_without_tensorflow(cancer, tmp_path):
    X, y = cancer
    clf = KerasNetClassifier(**fast()).fit(X, y)
    outputs, imported = predict_in_fresh_process(
        clf, X, tmp_path, methods=("predict_proba",)
    )
    assert imported == set()
    np.testing.assert_array_equal(outputs["predict_proba"], clf.predict_proba(X))


@pytest.mark.parametrize("ensemble_size", [1, 3])
def test_skip_connection_and_ensembles_have_a_plan_matching_keras(
    cancer, ensemble_size
):
    X, y = cancer
    clf = KerasNetClassifier(
        **fast(skip_connection=True, ensemble_size=ensemble_size, dropout=0.1)
    ).fit(X, y)
    assert clf._inference_plan is not None
    kinds = [step[0] for step in clf._inference_plan.steps]
    # an ensemble's members are one chain of MembersDense layers
    assert kinds == ["dense", "activation", "concat_input", "dense", "activation"]
    rows = 8 * ensemble_size + X.shape[1]  # the members' hidden units, then X
    assert clf._inference_plan.steps[-2][1].shape == (rows, ensemble_size)
    members = _keras_outputs(clf, X).reshape(len(X), ensemble_size)
    np.testing.assert_allclose(
        clf.predict_proba(X)[:, 1], members.mean(axis=1), atol=1e-6
    )


def test_finiteness_is_checked_on_the_first_layer_outputs():
    """NaN or +-inf anywhere in X makes the first dense layer's outputs so.

    Even where later layers would hide it (ReLU of -inf is 0) and where the
    column's weights are all zero (inf * 0 is NaN); finite X is never
    checked element-wise.
    """
    from sklearn.utils import assert_all_finite

    from skprecmed._inference import InferencePlan

    rng = np.random.RandomState(0)
    W1 = rng.normal(size=(4, 3)).astype(np.float32)
    W1[2] = 0.0  # a feature the network ignores
    steps = [
        ("dense", W1, np.zeros(3, np.float32)),
        ("activation", "relu"),
        ("concat_input",),
        ("dense", rng.normal(size=(7, 1)).astype(np.float32), None),
    ]
    plan = InferencePlan(steps)
    assert plan.checks_finite_inputs

    def never(X):
        raise AssertionError("finite X was checked")

    X = rng.normal(size=(5, 4))
    np.testing.assert_array_equal(plan(X, check_finite=never), plan(X))
    for value in (np.nan, np.inf, -np.inf):
        for column in range(4):
            bad = X.copy()
            bad[1, column] = value
            with pytest.raises(ValueError, match="Input X contains (NaN|infinity)"):
                plan(bad, check_finite=lambda X: assert_all_finite(X, input_name="X"))
    assert not InferencePlan([("activation", "relu")]).checks_finite_inputs


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
def test_activations_overwrite_only_the_plans_own_arrays(activation):
    from skprecmed._inference import _ACTIVATIONS, _IN_PLACE, InferencePlan

    assert activation in _IN_PLACE
    rng = np.random.RandomState(0)
    X = rng.normal(size=(6, 3)).astype(np.float32)
    kept = X.copy()
    # an activation first: X is the user's, left as it was
    alone = InferencePlan([("activation", activation)])(X)
    np.testing.assert_array_equal(X, kept)
    np.testing.assert_allclose(alone, _ACTIVATIONS[activation](kept), rtol=1e-6)
    assert not np.shares_memory(alone, X)
    # after a dense layer: its output is overwritten, with the same values
    W = rng.normal(size=(3, 2)).astype(np.float32)
    b = rng.normal(size=2).astype(np.float32)
    plan = InferencePlan([("dense", W, b), ("activation", activation)])
    np.testing.assert_allclose(plan(X), _ACTIVATIONS[activation](X @ W + b), rtol=1e-6)
    np.testing.assert_array_equal(X, kept)


def test_estimator_refuses_non_finite_rows_at_predict(cancer):
    X, y = cancer
    model = KerasNetClassifier(**fast()).fit(X, y)
    assert model._inference_plan.checks_finite_inputs
    for value, message in [(np.nan, "NaN.*imputer"), (np.inf, "infinity")]:
        for sign in (1, -1):
            bad = X[:5].copy()
            bad[2, 7] = sign * value
            with pytest.raises(ValueError, match=f"(?s)Input X contains {message}"):
                model.predict_proba(bad)
    # the same rows alone or among others: BLAS may round the last bit apart
    np.testing.assert_allclose(
        model.predict_proba(X[:5]), model.predict_proba(X)[:5], rtol=1e-12
    )
