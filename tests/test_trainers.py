"""Reusing one traced Keras model per architecture changes no result."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from skprecmed import (
    KerasNetClassifier,
    _trainers,
    clear_trainer_cache,
    set_trainer_cache_size,
)

from ._instances import fast


@pytest.fixture(autouse=True)
def empty_cache():
    clear_trainer_cache()
    yield
    clear_trainer_cache()


def test_cached_trainer_gives_the_same_bits_as_a_new_one(cancer):
    X, y = cancer
    params = fast(dropout=0.2, batch_normalization=True, early_stopping=True, epochs=8)
    first = KerasNetClassifier(**params).fit(X, y)  # traces a new trainer
    KerasNetClassifier(**{**params, "random_state": 5, "learning_rate_init": 0.1}).fit(
        X, y
    )
    again = KerasNetClassifier(**params).fit(X, y)  # reuses the trained-on trainer
    assert len(_trainers._trainers) == 1
    np.testing.assert_array_equal(again.predict_proba(X), first.predict_proba(X))
    assert again.history_ == first.history_
    pairs = zip(
        again.model_.optimizer.variables, first.model_.optimizer.variables, strict=True
    )
    for a, b in pairs:
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_variable_values_are_copies_and_assignments_check_shapes():
    from skprecmed._keras import import_keras

    tf, keras = import_keras()
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    values = _trainers.variable_values(model.variables)
    kept = [v.copy() for v in values]
    model.fit(np.ones((8, 3)), np.ones((8, 2)), epochs=2, verbose=0)
    for value, before, variable in zip(values, kept, model.variables, strict=True):
        np.testing.assert_array_equal(value, before)  # training wrote elsewhere
        assert not np.array_equal(np.asarray(variable), before)
    _trainers._assign(model.variables, kept)
    for variable, before in zip(model.variables, kept, strict=True):
        np.testing.assert_array_equal(np.asarray(variable), before)
    with pytest.raises(tf.errors.InvalidArgumentError):
        _trainers._assign(model.variables, [np.zeros((4, 2), np.float32), kept[1]])


def test_one_trainer_per_architecture_not_per_learning_rate(tiny):
    X, y = tiny
    for lr in (0.001, 0.01):
        KerasNetClassifier(**fast(learning_rate_init=lr)).fit(X, y)
    assert len(_trainers._trainers) == 1
    KerasNetClassifier(**fast(hidden_layer_sizes=(3,))).fit(X, y)
    assert len(_trainers._trainers) == 2


def test_fits_with_a_metric_named_by_keras_share_a_trainer(tiny):
    # Keras numbers each new metric ("auc_1"): in the key, every fit traced anew
    X, y = tiny
    for _ in range(2):
        KerasNetClassifier(**fast(metrics=["AUC"])).fit(X, y)
    assert len(_trainers._trainers) == 1


def test_a_metric_class_keras_cannot_remake_is_made_again_for_each_fit(tiny):
    import keras

    class Ones(keras.metrics.Mean):  # not registered with keras.saving
        def update_state(self, y_true, y_pred, sample_weight=None):
            return super().update_state(keras.ops.ones_like(y_pred[:, 0]))

    X, y = tiny
    clf = KerasNetClassifier(**fast(metrics=[Ones], epochs=2)).fit(X, y)
    assert clf.history_["mean"] == [1.0, 1.0]
    assert len(_trainers._trainers) == 1  # a fit makes the class again: cached
    clear_trainer_cache()
    # continuing needs a clone of the fitted model, which Keras cannot make:
    # the model is trained itself, uncached, not an error
    clf.partial_fit(X, y)
    assert clf.history_["mean"] == [1.0, 1.0, 1.0]
    assert len(_trainers._trainers) == 0


def _same_state(a, b):
    pairs = [
        *zip(a.variables, b.variables, strict=True),
        *zip(a.optimizer.variables, b.optimizer.variables, strict=True),
    ]
    for x, y in pairs:
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def test_a_fit_builds_its_keras_model_only_when_it_is_used(cancer):
    X, y = cancer
    params = fast(dropout=0.2, early_stopping=True, epochs=6)
    clf = KerasNetClassifier(**params).fit(X, y)
    assert "model_" not in vars(clf)  # trained in the trainer, not built
    proba = clf.predict_proba(X)  # the NumPy inference plan
    assert "model_" not in vars(clf)
    previous = set_trainer_cache_size(0)
    try:
        direct = KerasNetClassifier(**params).fit(X, y)  # built, trained itself
    finally:
        set_trainer_cache_size(previous)
    np.testing.assert_array_equal(proba, direct.predict_proba(X))
    _same_state(clf.model_, direct.model_)  # weights, dropout seed, optimizer
    assert "model_" in vars(clf) and "_pending_model" not in vars(clf)
    np.testing.assert_allclose(
        np.asarray(clf.model_(X.astype("float32")))[:, 0], proba[:, 1], atol=1e-6
    )


def test_a_seen_seed_restarts_from_its_own_start_at_any_learning_rate(cancer):
    X, y = cancer
    clfs = [
        KerasNetClassifier(**fast(random_state=seed, learning_rate_init=lr)).fit(X, y)
        for seed, lr in [(0, 0.1), (1, 0.01), (0, 0.001)]
    ]
    assert len(_trainers._trainers) == 1
    previous = set_trainer_cache_size(0)
    try:
        direct = KerasNetClassifier(**fast(learning_rate_init=0.001)).fit(X, y)
    finally:
        set_trainer_cache_size(previous)
    assert clfs[2].history_ == direct.history_
    _same_state(clfs[2].model_, direct.model_)
    assert float(clfs[2].model_.optimizer.learning_rate) == pytest.approx(0.001)
    assert float(clfs[0].model_.optimizer.learning_rate) == pytest.approx(0.1)


def test_threads_reading_a_new_fits_model_get_one_model(cancer):
    X, y = cancer
    clf = KerasNetClassifier(**fast()).fit(X, y)
    with ThreadPoolExecutor(4) as pool:
        models = list(pool.map(lambda _: clf.model_, range(8)))
    assert all(model is models[0] for model in models)


def test_a_refit_replaces_a_model_already_built(cancer):
    X, y = cancer
    clf = KerasNetClassifier(**fast()).fit(X, y)
    first = clf.model_
    clf.set_params(random_state=7).fit(X[:300], y[:300])
    assert clf.model_ is not first
    np.testing.assert_allclose(
        np.asarray(clf.model_(X[:5].astype("float32")))[:, 0],
        clf.predict_proba(X[:5])[:, 1],
        atol=1e-6,
    )


def test_fitted_estimators_do_not_share_state(tiny):
    X, y = tiny
    first = KerasNetClassifier(**fast()).fit(X, y)
    before = first.predict_proba(X)
    weights = [w.copy() for w in first.model_.get_weights()]
    KerasNetClassifier(**fast(random_state=3)).fit(X, y)
    assert first.model_ is not next(iter(_trainers._trainers.values()))
    np.testing.assert_array_equal(first.predict_proba(X), before)
    for a, b in zip(weights, first.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_custom_models_are_trained_directly(tiny):
    import keras

    X, y = tiny
    net = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")]
    )
    KerasNetClassifier(model=net, **fast()).fit(X, y)
    assert len(_trainers._trainers) == 0


def test_concurrent_fits_in_threads_match_sequential_fits(cancer):
    X, y = cancer
    seeds = [0, 1, 2, 3]
    sequential = [
        KerasNetClassifier(**fast(random_state=s)).fit(X, y).predict_proba(X)
        for s in seeds
    ]
    with ThreadPoolExecutor(2) as pool:
        threaded = list(
            pool.map(
                lambda s: (
                    KerasNetClassifier(**fast(random_state=s))
                    .fit(X, y)
                    .predict_proba(X)
                ),
                seeds,
            )
        )
    for a, b in zip(sequential, threaded, strict=True):
        np.testing.assert_array_equal(a, b)


def test_disabled_cache_keeps_no_trainer_and_gives_the_same_bits(tiny):
    X, y = tiny
    cached = KerasNetClassifier(**fast()).fit(X, y).predict_proba(X)
    previous = set_trainer_cache_size(0)
    try:
        assert len(_trainers._trainers) == 0  # shrinking evicts
        direct = KerasNetClassifier(**fast()).fit(X, y)
        assert len(_trainers._trainers) == 0
    finally:
        set_trainer_cache_size(previous)
    np.testing.assert_array_equal(direct.predict_proba(X), cached)


def test_networks_carry_no_cache_attribute(tiny):
    X, y = tiny
    clf = KerasNetClassifier(**fast()).fit(X, y)
    assert not [name for name in vars(clf.model_) if "skprecmed" in name]


@pytest.mark.parametrize("size", [-1, 1.5, True])
def test_cache_size_must_be_a_non_negative_int(size):
    with pytest.raises(ValueError, match="max_trainers must be a non-negative int"):
        set_trainer_cache_size(size)


def test_each_fit_names_its_optimizer_variables_alike(tiny):
    """TensorFlow keeps ~30 kB per variable name for the life of the process.

    Keras numbers each new optimizer ("adam_12") and so every slot variable;
    with the names repeating, 30 fits grow the process by about 0 MB instead
    of 13-15 MB (``benchmarks/bench_speed.py``).
    """
    X, y = tiny

    def names(model):
        return [v.path for v in model.optimizer.variables] + [
            v.path for v in model.variables
        ]

    first, second = (KerasNetClassifier(**fast()).fit(X, y).model_ for _ in range(2))
    assert first.optimizer.name == "adam"
    assert len(names(first)) > 4 and names(first) == names(second)


def test_fits_setting_other_starting_values_share_the_seeds_start(whas_scaled):
    from skprecmed import KerasNetDiscreteTimeSurvivalAnalysis as Discrete

    class NoBias(Discrete):  # leaves the output bias at the initializer's zeros
        _init_output_bias = False

    X, y = whas_scaled
    params = {"epochs": 2, "hidden_layer_sizes": (4,), "random_state": 0}
    Discrete(**params).fit(X, y)  # sets the life-table bias on the trainer
    shared = NoBias(**params).fit(X, y)
    assert len(_trainers._trainers) == 1
    previous = set_trainer_cache_size(0)
    try:
        direct = NoBias(**params).fit(X, y)
    finally:
        set_trainer_cache_size(previous)
    _same_state(shared.model_, direct.model_)


def test_a_trainer_keeps_a_few_starts_and_fewer_large_ones(tiny, monkeypatch):
    X, y = tiny
    for seed in range(6):
        KerasNetClassifier(**fast(random_state=seed)).fit(X, y)
    (trainer,) = _trainers._trainers.values()
    assert len(trainer.starts) == _trainers._MAX_STARTS
    monkeypatch.setattr(_trainers, "_MAX_START_BYTES", 1)  # any start is large
    KerasNetClassifier(**fast(random_state=9)).fit(X, y)
    assert len(trainer.starts) == 1  # the last fit's, which it trained from
