"""Users' networks in the builder convention scikeras defined.

The builders below are those of scikeras' documentation ("MLPClassifier and
MLPRegressor in SciKeras", "Advanced Usage"), with one change forced by
Keras 3 (which scikeras itself also meets): ``Input(shape=n)`` became
``Input(shape=(n,))``, as Keras 3 takes only tuples.
"""

import random
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, Iterable

import numpy as np
import pytest

from skprecmed import KerasNetClassifier, KerasNetRegressor

from ._instances import fast


def get_clf_model(
    hidden_layer_sizes: Iterable[int],
    meta: Dict[str, Any],
    compile_kwargs: Dict[str, Any],
):
    import keras

    model = keras.Sequential()
    inp = keras.layers.Input(shape=(meta["n_features_in_"],))
    model.add(inp)
    for hidden_layer_size in hidden_layer_sizes:
        layer = keras.layers.Dense(hidden_layer_size, activation="relu")
        model.add(layer)
    if meta["target_type_"] == "binary":
        n_output_units = 1
        output_activation = "sigmoid"
        loss = "binary_crossentropy"
    elif meta["target_type_"] == "multiclass":
        n_output_units = meta["n_classes_"]
        output_activation = "softmax"
        loss = "sparse_categorical_crossentropy"
    else:
        raise NotImplementedError(f"Unsupported task type: {meta['target_type_']}")
    out = keras.layers.Dense(n_output_units, activation=output_activation)
    model.add(out)
    model.compile(loss=loss, optimizer=compile_kwargs["optimizer"])
    return model


def get_reg_model(meta, compile_kwargs):
    import keras

    model = keras.Sequential()
    model.add(keras.layers.Input(shape=(meta["n_features_in_"],)))
    model.add(keras.layers.Dense(16, activation="relu"))
    model.add(keras.layers.Dense(meta["n_outputs_"]))
    model.compile(loss="mse", optimizer=compile_kwargs["optimizer"])
    return model


def uncompiled_model(meta):
    """'Do not call model.compile': the estimator compiles it."""
    import keras

    model = keras.Sequential()
    model.add(keras.layers.Input(shape=(meta["n_features_in_"],)))
    model.add(keras.layers.Dense(1, activation="sigmoid"))
    return model


@pytest.mark.parametrize("data", ["cancer", "blobs3"])
def test_documented_classifier_builder_trains(data, request):
    X, y = request.getfixturevalue(data)
    clf = KerasNetClassifier(
        model=get_clf_model,
        model_kwargs={"hidden_layer_sizes": (16,)},
        **fast(epochs=20),
    ).fit(X, y)
    assert clf.score(X, y) > 0.85
    assert [layer.units for layer in clf.model_.layers] == [
        16,
        len(clf.classes_) if len(clf.classes_) > 2 else 1,
    ]


def test_builder_meta_describes_the_data(blobs3):
    X, y = blobs3
    seen = {}

    def build(meta, compile_kwargs, params):
        seen.update(meta=meta, compile_kwargs=compile_kwargs, params=params)
        return get_clf_model((4,), meta, compile_kwargs)

    KerasNetClassifier(model=build, **fast(learning_rate_init=0.02)).fit(X, y)
    meta = seen["meta"]
    assert meta["n_features_in_"] == 4 and meta["X_shape_"] == X.shape
    assert meta["n_classes_"] == 3 and list(meta["classes_"]) == [0, 1, 2]
    assert meta["target_type_"] == "multiclass" and meta["n_outputs_expected_"] == 1
    assert float(seen["compile_kwargs"]["optimizer"].learning_rate) == pytest.approx(
        0.02
    )
    assert seen["params"]["learning_rate_init"] == 0.02


def test_documented_regressor_builder_on_two_targets(diabetes_scaled):
    X, y = diabetes_scaled
    Y = np.column_stack([y, -y])
    reg = KerasNetRegressor(model=get_reg_model, **fast(epochs=30)).fit(X, Y)
    assert reg.predict(X).shape == Y.shape
    assert reg.score(X, Y) > 0.3


def test_uncompiled_model_is_compiled_with_the_estimators_settings(cancer):
    X, y = cancer
    clf = KerasNetClassifier(
        model=uncompiled_model,
        optimizer="sgd",
        **fast(learning_rate_init=0.1, epochs=20),
    ).fit(X, y)
    assert type(clf.model_.optimizer).__name__ == "SGD"
    assert clf.score(X, y) > 0.85


def test_survival_builder_sees_one_output():
    from sksurv.datasets import load_whas500

    from skprecmed import KerasNetSurvivalAnalysis

    X, y = load_whas500()
    X = X[["age", "bmi", "hr"]].to_numpy(dtype=float)
    X = (X - X.mean(0)) / X.std(0)
    seen = {}

    def build(meta):
        import keras

        seen.update(meta)
        return keras.Sequential(
            [
                keras.Input((meta["n_features_in_"],)),
                keras.layers.Dense(meta["n_outputs_"]),
            ]
        )

    model = KerasNetSurvivalAnalysis(
        model=build, **fast(batch_size=512, epochs=40, learning_rate_init=0.05)
    ).fit(X, y)
    assert seen["n_outputs_"] == 1 and seen["n_outputs_expected_"] == 1
    assert model.score(X, y) > 0.6


def test_builder_returning_no_model_is_refused(tiny):
    X, y = tiny
    with pytest.raises(
        TypeError, match="must be a Keras model or a function returning one"
    ):
        KerasNetClassifier(model=lambda meta: "not a model").fit(X, y)


def test_user_builders_are_seeded_and_leave_global_random_alone(tiny):
    X, y = tiny

    def build(meta):  # layers without seeds draw them from Python's random
        import keras

        return keras.Sequential(
            [
                keras.Input((3,)),
                keras.layers.Dense(4, activation="relu"),
                keras.layers.Dense(1, activation="sigmoid"),
            ]
        )

    KerasNetClassifier(model=build, **fast()).fit(X, y)  # TensorFlow imported
    before = random.getstate()
    with ThreadPoolExecutor(4) as pool:
        probas = list(
            pool.map(
                lambda seed: (
                    KerasNetClassifier(model=build, **fast(random_state=seed % 2))
                    .fit(X, y)
                    .predict_proba(X)
                ),
                range(8),
            )
        )
    assert random.getstate() == before
    for seed, proba in enumerate(probas):
        np.testing.assert_array_equal(proba, probas[seed % 2])
    assert not np.array_equal(probas[0], probas[1])


def test_metrics_named_by_keras_keep_one_name_across_fits(tiny):
    import keras

    X, y = tiny
    for metric in ("AUC", keras.metrics.Precision):
        keys = [
            sorted(
                KerasNetClassifier(**fast(metrics=[metric], epochs=1))
                .fit(X, y)
                .history_
            )
            for _ in range(2)
        ]
        assert keys[0] == keys[1]
        assert not any(key[-1].isdigit() for key in keys[0]), keys[0]


def test_a_network_without_metrics_compiles_no_metrics_container(tiny):
    # Keras builds an empty container by an eager pass before the first trace
    X, y = tiny
    plain = KerasNetClassifier(**fast(epochs=1)).fit(X, y)
    assert plain.model_._compile_metrics is None
    scored = KerasNetClassifier(**fast(epochs=1, metrics=["AUC"])).fit(X, y)
    assert scored.model_._compile_metrics is not None
    assert "auc" in scored.history_ and "auc" not in plain.history_


def test_a_users_metric_class_is_made_as_given():
    # a custom network (model=) compiles with it as made: its constructor
    # may take no name, so it is never re-made from its config
    import keras

    from skprecmed._build import _metrics

    class Seen(keras.metrics.Metric):
        def __init__(self):
            super().__init__()  # named by Keras: "seen", then "seen_1"...

        def update_state(self, y_true, y_pred, sample_weight=None):
            pass

        def result(self):
            return 1.0

    made = [_metrics([Seen])[0] for _ in range(2)]
    assert all(type(m) is Seen for m in made)
    assert made[1].name[-1].isdigit()  # numbered, as Keras made it


def _specs():
    import keras

    return [
        (("adam", 1e-3, ["AUC", "accuracy"], "binary_crossentropy"), 1),
        (("sgd", 0.1, None, "mse"), 3),
        (
            (
                keras.optimizers.RMSprop(learning_rate=0.01),
                None,
                [keras.metrics.AUC()],
                keras.losses.BinaryCrossentropy(),
            ),
            1,
        ),
    ]


@pytest.mark.parametrize("case", range(3))
def test_a_recipe_gives_its_networks_compile_configuration_unbuilt(case):
    # the trainer-cache key of a fit (a recipe) and of partial_fit (a model)
    from skprecmed._build import Recipe

    spec, members = _specs()[case]
    network = {"hidden_layer_sizes": (3,), "ensemble_size": members}
    recipe = Recipe((4,), 1, "sigmoid", network, spec, 0)
    again = Recipe((4,), 1, "sigmoid", network, spec, 1)  # memoised when plain
    assert recipe.compile_config() == recipe.build().get_compile_config()
    assert again.compile_config() == recipe.compile_config()
