"""KerasNetClassifier: the network it builds, its targets, inputs and weights."""

import numpy as np
import pytest
from sklearn.base import clone

from skprecmed import KerasNetClassifier

from ._instances import fast


def _dense_layers(model):
    return [layer for layer in model.layers if type(layer).__name__ == "Dense"]


#: the classic disease-prediction net, one line away from the defaults
CLASSIC = dict(
    epochs=10, batch_size=32, alpha=0.0, early_stopping=False, skip_connection=False
)


def test_classic_network_is_one_line_away(cancer):
    X, y = cancer
    clf = KerasNetClassifier(**CLASSIC, random_state=0).fit(X, y)
    hidden, output = _dense_layers(clf.model_)
    assert (hidden.units, hidden.activation.__name__) == (32, "relu")
    assert (output.units, output.activation.__name__) == (1, "sigmoid")
    assert type(clf.model_.optimizer).__name__ == "Adam"
    assert float(clf.model_.optimizer.learning_rate) == pytest.approx(0.001)
    assert clf.model_.loss.__name__ == "binary_crossentropy"
    assert clf.n_iter_ == 10 and len(clf.history_["loss"]) == 10
    # 569 samples in batches of 32: 18 steps per epoch
    assert int(clf.model_.optimizer.iterations) == 10 * 18
    assert clf.score(X, y) > 0.95


def test_defaults_stop_early_with_a_skip_connection_and_weight_decay(cancer):
    X, y = cancer
    clf = KerasNetClassifier(random_state=0).fit(X, y)
    assert clf.n_iter_ < 200 and "val_loss" in clf.history_  # early stopping
    assert clf.model_.get_layer("skip") is not None
    assert clf.model_.get_layer("output").kernel.shape == (32 + 30, 1)
    assert clf.model_.get_layer("output").kernel_regularizer.l2 == pytest.approx(1e-4)
    assert clf.score(X, y) > 0.95


def test_hyperparameters_reach_the_network(cancer):
    X, y = cancer
    clf = KerasNetClassifier(
        hidden_layer_sizes=(8, 4),
        activation="tanh",
        dropout=0.25,
        alpha=0.01,
        batch_normalization=True,
        optimizer="sgd",
        learning_rate_init=0.05,
        epochs=3,
        batch_size=100,
        random_state=0,
    ).fit(X, y)
    dense = _dense_layers(clf.model_)
    assert [d.units for d in dense] == [8, 4, 1]
    assert {d.activation.__name__ for d in dense[:-1]} == {"tanh"}
    kinds = [type(layer).__name__ for layer in clf.model_.layers]
    assert kinds.count("Dropout") == 2 and kinds.count("BatchNormalization") == 2
    assert dense[0].kernel_regularizer.l2 == pytest.approx(0.01)
    assert type(clf.model_.optimizer).__name__ == "SGD"
    assert float(clf.model_.optimizer.learning_rate) == pytest.approx(0.05)
    assert int(clf.model_.optimizer.iterations) == 3 * 6  # ceil(569 / 100) = 6


def test_multiclass_uses_softmax_and_string_labels_survive(blobs3):
    X, y = blobs3
    labels = np.array(["luminal", "basal", "her2"])[y]
    clf = KerasNetClassifier(**fast(epochs=30, learning_rate_init=0.05)).fit(X, labels)
    assert list(clf.classes_) == ["basal", "her2", "luminal"]
    output = _dense_layers(clf.model_)[-1]
    assert (output.units, output.activation.__name__) == (3, "softmax")
    proba = clf.predict_proba(X)
    assert proba.shape == (150, 3) and proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert set(clf.predict(X)) <= set(labels)
    assert clf.score(X, labels) > 0.9


def test_integer_labels_are_returned_unchanged(cancer):
    X, y = cancer
    clf = KerasNetClassifier(**fast()).fit(X, y * 3 + 1)
    assert clf.classes_.tolist() == [1, 4]
    assert set(np.unique(clf.predict(X))) <= {1, 4}


def test_dataframe_input_records_feature_names(cancer_raw):
    pd = pytest.importorskip("pandas")
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer(as_frame=True)
    X = (data.data - data.data.mean()) / data.data.std()
    clf = KerasNetClassifier(**fast()).fit(X, data.target)
    assert list(clf.feature_names_in_) == list(data.data.columns)
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        clf.predict(X.to_numpy()[:2])
    with pytest.raises(ValueError, match="feature names should match"):
        clf.predict(X[X.columns[::-1]])
    assert isinstance(X, pd.DataFrame)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float32_float64_and_readonly_memmap(cancer, dtype, tmp_path):
    X, y = cancer
    path = tmp_path / "X.npy"
    np.save(path, X.astype(dtype))
    X_mm = np.load(path, mmap_mode="r")
    assert not X_mm.flags.writeable
    clf = KerasNetClassifier(**fast()).fit(X_mm, y)
    reference = KerasNetClassifier(**fast()).fit(X.astype(dtype), y)
    np.testing.assert_array_equal(
        clf.predict_proba(X_mm), reference.predict_proba(X.astype(dtype))
    )


def test_class_weight_balanced_finds_more_of_a_rare_disease(cancer):
    X, y = cancer
    rng = np.random.RandomState(0)
    # keep 20 of the 212 malignant (class 0) patients: a rare class
    keep = (
        np.flatnonzero(y == 1).tolist()
        + rng.choice(np.flatnonzero(y == 0), 20, replace=False).tolist()
    )
    # two weakly informative measurements: the classes overlap
    X, y = X[keep][:, [1, 9]], y[keep]
    params = fast(hidden_layer_sizes=(), epochs=20, learning_rate_init=0.01)
    plain = KerasNetClassifier(**params).fit(X, y)
    balanced = KerasNetClassifier(class_weight="balanced", **params).fit(X, y)
    rare = y == 0
    found_plain = (plain.predict(X[rare]) == 0).mean()
    found_balanced = (balanced.predict(X[rare]) == 0).mean()
    assert found_balanced > found_plain + 0.25


def test_class_weight_dict_matches_equivalent_sample_weight(tiny):
    X, y = tiny
    params = fast(shuffle=False)
    by_class = KerasNetClassifier(class_weight={0: 1.0, 1: 3.0}, **params).fit(X, y)
    by_sample = KerasNetClassifier(**params).fit(
        X, y, sample_weight=np.where(y, 3.0, 1.0)
    )
    np.testing.assert_allclose(
        by_class.predict_proba(X), by_sample.predict_proba(X), rtol=1e-6
    )


def test_sample_weight_changes_the_fit(tiny):
    X, y = tiny
    weights = np.where(y == 1, 10.0, 0.1)
    plain = KerasNetClassifier(**fast()).fit(X, y)
    weighted = KerasNetClassifier(**fast()).fit(X, y, sample_weight=weights)
    assert weighted.predict_proba(X)[:, 1].mean() > plain.predict_proba(X)[:, 1].mean()


def test_early_stopping_holds_out_data_and_stops(cancer):
    X, y = cancer
    clf = KerasNetClassifier(
        **fast(
            epochs=200, early_stopping=True, n_iter_no_change=3, learning_rate_init=0.05
        )
    ).fit(X, y)
    assert "val_loss" in clf.history_
    assert clf.n_iter_ < 200
    # patience 3: training ran exactly 3 epochs past the best validation loss
    best = int(np.argmin(clf.history_["val_loss"]))
    assert clf.n_iter_ == best + 1 + 3


def test_metrics_are_recorded_in_history(tiny):
    X, y = tiny
    clf = KerasNetClassifier(**fast(metrics=["accuracy"])).fit(X, y)
    assert len(clf.history_["accuracy"]) == 5


def test_custom_build_function_gets_meta_compile_kwargs_and_model_kwargs(cancer):
    X, y = cancer
    seen = {}

    def build(meta, compile_kwargs, units):
        import keras

        seen.update(meta=meta, units=units)
        model = keras.Sequential(
            [
                keras.Input((meta["n_features_in_"],)),
                keras.layers.Dense(units, activation="relu"),
                keras.layers.Dense(1, activation="sigmoid"),
            ]
        )
        model.compile(**compile_kwargs)
        return model

    clf = KerasNetClassifier(model=build, model_kwargs={"units": 5}, **fast()).fit(X, y)
    assert seen["units"] == 5 and seen["meta"]["n_classes_"] == 2
    assert _dense_layers(clf.model_)[0].units == 5
    assert clf.score(X, y) > 0.85
    # the same seed gives the same network, even though the layers have no seed
    again = clone(clf).fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), again.predict_proba(X))


def test_user_keras_model_is_copied_never_trained_in_place(cancer):
    import keras

    X, y = cancer
    user_model = keras.Sequential(
        [
            keras.Input((30,)),
            keras.layers.Dense(4),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    before = [w.copy() for w in user_model.get_weights()]
    clf = KerasNetClassifier(model=user_model, **fast()).fit(X, y)
    assert clf.model_ is not user_model
    for w0, w1 in zip(before, user_model.get_weights(), strict=True):
        np.testing.assert_array_equal(w0, w1)
    assert clf.score(X, y) > 0.8


def test_optimizer_instance_is_copied(tiny):
    import keras

    X, y = tiny
    optimizer = keras.optimizers.RMSprop(learning_rate=0.01)
    clf = KerasNetClassifier(**fast(optimizer=optimizer, learning_rate_init=None))
    clf.fit(X, y)
    assert int(optimizer.iterations) == 0
    assert type(clf.model_.optimizer).__name__ == "RMSprop"
    assert float(clf.model_.optimizer.learning_rate) == pytest.approx(0.01)
    clf.fit(X, y)  # a second fit works: the instance was never bound to a model
    assert clf.n_iter_ == 5


def test_every_hyperparameter_is_tunable():
    names = set(KerasNetClassifier().get_params())
    assert {
        "hidden_layer_sizes",
        "activation",
        "dropout",
        "alpha",
        "batch_normalization",
        "optimizer",
        "learning_rate_init",
        "epochs",
        "batch_size",
        "early_stopping",
        "validation_fraction",
        "n_iter_no_change",
        "class_weight",
        "random_state",
        "verbose",
        "model",
        "model_kwargs",
    } <= names
    assert "KerasNetClassifier(epochs=3)" == repr(KerasNetClassifier(epochs=3))
