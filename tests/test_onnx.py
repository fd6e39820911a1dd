"""ONNX export: whole fitted pipelines through skl2onnx, run in ONNX Runtime."""

import os
import pickle

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

pytest.importorskip("skl2onnx")
pytest.importorskip("onnxruntime")
pytest.importorskip("tf2onnx")

import onnx  # noqa: E402
import onnxruntime  # noqa: E402
from skl2onnx import to_onnx  # noqa: E402

from skprecmed import (  # noqa: E402
    KerasNetClassifier,
    KerasNetRegressor,
    register_onnx_converters,
)

FAST = {"hidden_layer_sizes": (8,), "epochs": 5, "random_state": 0}


def _run(onx, X):
    onnx.checker.check_model(onx, full_check=True)
    session = onnxruntime.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return session.run(None, {session.get_inputs()[0].name: X})


@pytest.fixture(scope="module", autouse=True)
def _registered():
    register_onnx_converters()


@pytest.fixture(scope="module")
def cancer_with_gaps():
    """Breast cancer data (unscaled) with 2% of the values missing, float32."""
    X, y = load_breast_cancer(return_X_y=True)
    X = X.astype(np.float32)
    X[np.random.RandomState(0).uniform(size=X.shape) < 0.02] = np.nan
    return X, y


@pytest.fixture(scope="module")
def cancer_pipeline(cancer_with_gaps):
    X, y = cancer_with_gaps
    net = KerasNetClassifier(**FAST)
    return make_pipeline(SimpleImputer(), StandardScaler(), net).fit(X, y)


def test_pipeline_probabilities_and_labels_match(cancer_with_gaps, cancer_pipeline):
    X, _ = cancer_with_gaps
    net = cancer_pipeline[-1]
    had_object = "object" in vars(np)
    level = os.environ.get("TF_CPP_MIN_LOG_LEVEL")
    onx = to_onnx(cancer_pipeline, X[:1], options={id(net): {"zipmap": False}})
    # tf2onnx sets TF_CPP_MIN_LOG_LEVEL and Keras np.object: both undone
    assert ("object" in vars(np)) == had_object
    assert os.environ.get("TF_CPP_MIN_LOG_LEVEL") == level
    labels, proba = _run(onx, X)
    np.testing.assert_allclose(proba, cancer_pipeline.predict_proba(X), atol=1e-5)
    np.testing.assert_array_equal(labels, cancer_pipeline.predict(X))
    assert labels.dtype == np.int64 and proba.dtype == np.float32
    assert {n.op_type for n in onx.graph.node} >= {"Imputer", "Scaler", "MatMul"}


def test_zipmap_by_default_and_export_after_reload(
    cancer_with_gaps, cancer_pipeline, capfd
):
    """A pickled (lazily reloaded) pipeline exports quietly; zipmap gives dicts."""
    X, _ = cancer_with_gaps
    reloaded = pickle.loads(pickle.dumps(cancer_pipeline))
    capfd.readouterr()
    onx = to_onnx(reloaded, X[:1])
    assert "Starting new session" not in capfd.readouterr().err  # Grappler's lines
    labels, proba = _run(onx, X[:5])
    expected = cancer_pipeline.predict_proba(X[:5])
    assert [sorted(row) for row in proba] == [[0, 1]] * 5
    got = np.array([[row[0], row[1]] for row in proba])
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_double_input_gives_double_output(cancer_with_gaps, cancer_pipeline):
    # the network alone: ONNX Runtime has no double Imputer
    X = cancer_pipeline[:-1].transform(cancer_with_gaps[0]).astype(np.float64)
    net = cancer_pipeline[-1]
    labels, proba = _run(to_onnx(net, X[:1], options={id(net): {"zipmap": False}}), X)
    assert proba.dtype == np.float64
    np.testing.assert_allclose(proba, net.predict_proba(X), atol=1e-5)


def test_ensemble_of_three_classes_with_string_labels():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(90, 4)).astype(np.float32)
    y = np.array(["luminal", "basal", "her2"])[np.argmax(X[:, :3], axis=1)]
    net = KerasNetClassifier(ensemble_size=2, **FAST).fit(X, y)
    labels, proba = _run(to_onnx(net, X[:1], options={id(net): {"zipmap": False}}), X)
    np.testing.assert_allclose(proba, net.predict_proba(X), atol=1e-5)
    np.testing.assert_array_equal(labels, net.predict(X))
    options = {id(net): {"zipmap": False, "nocl": True}}  # class indices
    labels, _ = _run(to_onnx(net, X[:1], options=options), X)
    np.testing.assert_array_equal(net.classes_[labels], net.predict(X))


@pytest.mark.parametrize("ensemble_size", [1, 2])
def test_regressor_pipeline_in_target_units(ensemble_size):
    X, y = load_diabetes(return_X_y=True)
    X = X.astype(np.float32)
    if ensemble_size > 1:  # two targets: progression and its square root
        y = np.column_stack([y, np.sqrt(y)])
    net = KerasNetRegressor(ensemble_size=ensemble_size, **FAST)
    pipe = make_pipeline(StandardScaler(), net).fit(X, y)
    (pred,) = _run(to_onnx(pipe, X[:1]), X)
    expected = pipe.predict(X).reshape(len(X), -1)
    assert pred.shape == expected.shape
    # float32 network: to 1e-5 in the standardised units the network learns
    scale = y.reshape(len(y), -1).std(axis=0)
    np.testing.assert_allclose(pred / scale, expected / scale, rtol=0, atol=1e-5)


def test_unsupported_architecture_is_refused():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(20, 6, 4)).astype(np.float32)
    y = (X[:, 0, 0] > 0).astype(int)
    net = KerasNetClassifier(
        architecture="cnn1d", filters=2, kernel_size=3, epochs=1, random_state=0
    ).fit(X, y)
    with pytest.raises(ValueError, match="architecture='dense'.*'cnn1d'"):
        to_onnx(net, X[:1].reshape(1, -1), options={id(net): {"zipmap": False}})
