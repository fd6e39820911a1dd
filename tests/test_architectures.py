"""CNN and RNN architectures on data whose truth is known."""

import pickle

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline

from skprecmed import (
    KerasNetClassifier,
    KerasNetRegressor,
    SequenceEncoder,
    feature_attributions,
)

MOTIF = "TGACGTCA"  # cAMP response element


def _motif_data(n=800, length=50, seed=0):
    """Random DNA; positives carry the motif at a random position."""
    rng = np.random.RandomState(seed)
    sequences, labels, starts = [], [], []
    for i in range(n):
        seq = list(rng.choice(list("ACGT"), size=length))
        start = -1
        if i % 2:
            start = rng.randint(0, length - len(MOTIF))
            seq[start : start + len(MOTIF)] = MOTIF
        sequences.append("".join(seq))
        labels.append(i % 2)
        starts.append(start)
    return np.array(sequences), np.array(labels), np.array(starts)


def _cnn(**params):
    base = dict(
        architecture="cnn1d",
        filters=16,
        recurrent_units=16,
        kernel_size=8,
        hidden_layer_sizes=(8,),
        epochs=20,
        learning_rate_init=0.01,
        random_state=0,
    )
    base.update(params)
    return KerasNetClassifier(**base)


@pytest.fixture(scope="module")
def motif_model():
    X, y, starts = _motif_data()
    X_tr, X_te, y_tr, y_te, _, s_te = train_test_split(
        X, y, starts, test_size=0.25, random_state=0
    )
    model = make_pipeline(SequenceEncoder(), _cnn()).fit(X_tr, y_tr)
    return model, X_te, y_te, s_te


def test_cnn_finds_the_planted_motif(motif_model):
    model, X_te, y_te, _ = motif_model
    assert roc_auc_score(y_te, model.predict_proba(X_te)[:, 1]) > 0.95


def test_attributions_peak_on_the_motif(motif_model):
    model, X_te, y_te, s_te = motif_model
    positives = y_te == 1
    scores = feature_attributions(model, X_te[positives]).sum(axis=2)  # per position
    peaks = scores.argmax(axis=1)
    starts = s_te[positives]
    inside = (peaks >= starts) & (peaks < starts + len(MOTIF))
    assert inside.mean() > 0.8
    quick = feature_attributions(model, X_te[positives], method="gradient_x_input").sum(
        axis=2
    )
    assert (
        (quick.argmax(1) >= starts) & (quick.argmax(1) < starts + len(MOTIF))
    ).mean() > 0.6


def test_integrated_gradients_add_up_to_the_output_difference(motif_model):
    model, X_te, _, _ = motif_model
    net = model[-1]
    encoded = model[0].transform(X_te[:5])
    scores = feature_attributions(model, X_te[:5], steps=64)
    logit = lambda Z: np.asarray(net.model_(Z.astype("float32")))[:, 0]  # noqa: E731
    np.testing.assert_allclose(
        scores.reshape(5, -1).sum(1),
        logit(encoded) - logit(np.zeros_like(encoded)),
        atol=0.05,
    )


@pytest.mark.slow
def test_grid_search_compares_architectures_and_joblib_round_trip():
    X, y, _ = _motif_data(n=400)
    pipe = make_pipeline(SequenceEncoder(), _cnn(epochs=10))
    grid = {
        "kerasnetclassifier__architecture": ["cnn1d", "rnn"],
        "kerasnetclassifier__filters": [8],
    }
    search = GridSearchCV(pipe, grid, cv=2, scoring="roc_auc").fit(X, y)
    assert search.best_params_["kerasnetclassifier__architecture"] == "cnn1d"
    copy = pickle.loads(pickle.dumps(search.best_estimator_))
    np.testing.assert_array_equal(copy.predict_proba(X), search.predict_proba(X))


@pytest.mark.parametrize("recurrent, bidirectional", [("gru", False), ("lstm", True)])
def test_recurrent_nets_train_on_sequences(recurrent, bidirectional):
    X, y, _ = _motif_data(n=200, length=20)
    encoded = SequenceEncoder().fit_transform(X)
    clf = KerasNetClassifier(
        architecture="rnn",
        recurrent=recurrent,
        bidirectional=bidirectional,
        recurrent_units=8,
        epochs=2,
        random_state=0,
    ).fit(encoded, y)
    kinds = [type(layer).__name__ for layer in clf.model_.layers]
    assert ("Bidirectional" in kinds) == bidirectional
    assert clf.predict_proba(encoded).shape == (200, 2)
    again = KerasNetClassifier(**clf.get_params()).fit(encoded, y)
    np.testing.assert_array_equal(
        again.predict_proba(encoded), clf.predict_proba(encoded)
    )


def test_image_cnn_on_digits():
    X, y = load_digits(return_X_y=True)
    images = X.reshape(-1, 8, 8) / 16.0
    X_tr, X_te, y_tr, y_te = train_test_split(images, y, random_state=0)
    clf = KerasNetClassifier(
        architecture="cnn2d",
        filters=16,
        kernel_size=3,
        conv_layers=2,
        hidden_layer_sizes=(32,),
        epochs=40,
        learning_rate_init=0.01,
        random_state=0,
    ).fit(X_tr, y_tr)
    assert clf.score(X_te, y_te) > 0.9
    assert clf._input_shape == (8, 8, 1)
    with pytest.raises(
        ValueError, match=r"samples of shape \(8, 4, 1\).*shape \(8, 8, 1\)"
    ):
        clf.predict(np.zeros((2, 8, 4)))
    with pytest.raises(
        ValueError, match="X has 4 features, but KerasNetClassifier is expecting 8"
    ):
        clf.predict(np.zeros((2, 4, 8)))


def test_regressor_with_a_cnn():
    X, _, _ = _motif_data(n=300, length=30)
    encoded = SequenceEncoder().fit_transform(X)
    gc_content = encoded[:, :, 1:3].sum(axis=(1, 2)) / 30
    reg = KerasNetRegressor(
        architecture="cnn1d",
        filters=8,
        kernel_size=3,
        epochs=30,
        learning_rate_init=0.01,
        random_state=0,
    ).fit(encoded, gc_content)
    # no NumPy plan for a CNN: its Keras model is built in fit, so the first
    # prediction does not pay for it
    assert "model_" in vars(reg)
    assert np.corrcoef(reg.predict(encoded), gc_content)[0, 1] > 0.8


@pytest.mark.parametrize(
    "architecture, X, message",
    [
        ("dense", np.zeros((4, 5, 4)), "Found array with dim 3"),
        (
            "cnn1d",
            np.zeros((4, 5)),
            r"takes sequences of shape \(n_samples, length, channels\)",
        ),
        ("rnn", np.zeros((4, 5, 4, 1)), "got X with 4 dimensions"),
        ("cnn2d", np.zeros((4, 5)), r"takes images of shape"),
    ],
)
def test_each_architecture_takes_only_its_input_shape(architecture, X, message):
    with pytest.raises(ValueError, match=message):
        KerasNetClassifier(architecture=architecture).fit(X, np.arange(4) % 2)
