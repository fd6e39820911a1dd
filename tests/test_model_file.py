"""The safe model file: round trip, metadata, and refusal of bad files."""

import json
import zipfile

import joblib
import numpy as np
import pytest
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from skprecmed import (
    KerasNetClassifier,
    ModelVersionWarning,
    load_model,
    read_metadata,
    save_model,
)

from ._helpers import predict_in_fresh_process
from ._instances import fast


@pytest.fixture(scope="module")
def fitted(cancer_raw):
    X, y = cancer_raw
    return make_pipeline(
        SimpleImputer(), StandardScaler(), KerasNetClassifier(**fast())
    ).fit(X, y)


def _rewrite(path, target, metadata=None, payload=None):
    with zipfile.ZipFile(path) as archive:
        old_metadata = json.loads(archive.read("metadata.json"))
        old_payload = archive.read("model.skops")
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("metadata.json", json.dumps(metadata or old_metadata))
        archive.writestr("model.skops", payload if payload is not None else old_payload)


@pytest.mark.slow
def test_round_trip_in_a_fresh_process(fitted, cancer_raw, tmp_path):
    X, _ = cancer_raw
    outputs, imported = predict_in_fresh_process(
        fitted, X, tmp_path, methods=("predict_proba",), fmt="skprecmed"
    )
    np.testing.assert_array_equal(outputs["predict_proba"], fitted.predict_proba(X))
    assert imported == set()  # scoring a dense net needs no TensorFlow


def test_metadata_describes_the_model(cancer_raw, tmp_path):
    pd = pytest.importorskip("pandas")
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer(as_frame=True)
    model = make_pipeline(StandardScaler(), KerasNetClassifier(**fast())).fit(
        data.data, data.target
    )
    save_model(model, tmp_path / "m.skprecmed", X=data.data, y=data.target)
    meta = read_metadata(tmp_path / "m.skprecmed")
    assert meta["training"] == {"n_rows": 569, "class_counts": {"0": 212, "1": 357}}
    assert meta["estimator"] == "KerasNetClassifier"
    assert meta["steps"] == [
        ["standardscaler", "StandardScaler"],
        ["kerasnetclassifier", "KerasNetClassifier"],
    ]
    assert meta["feature_names"] == list(data.data.columns)
    assert meta["feature_dtypes"]["mean radius"] == "float64"
    assert meta["classes"] == [0, 1]
    assert meta["hyperparameters"]["epochs"] == 5
    assert set(meta["versions"]) >= {
        "skprecmed",
        "scikit-learn",
        "keras",
        "tensorflow",
        "numpy",
    }
    assert meta["created"].endswith("+00:00")
    assert isinstance(data.data, pd.DataFrame)


def test_modified_file_is_refused(fitted, tmp_path):
    save_model(fitted, tmp_path / "m.skprecmed")
    with zipfile.ZipFile(tmp_path / "m.skprecmed") as archive:
        payload = bytearray(archive.read("model.skops"))
    payload[len(payload) // 2] ^= 0xFF
    _rewrite(
        tmp_path / "m.skprecmed", tmp_path / "bad.skprecmed", payload=bytes(payload)
    )
    with pytest.raises(ValueError, match="modified after it was written"):
        load_model(tmp_path / "bad.skprecmed")


def test_untrusted_types_are_refused(cancer_raw, tmp_path):
    import hashlib
    import os

    import skops.io

    X, y = cancer_raw
    # a function skops does not trust by default: loaded only with consent
    model = make_pipeline(
        FunctionTransformer(np.linalg.norm, kw_args={"axis": 1, "keepdims": True}),
        KerasNetClassifier(**fast()),
    ).fit(X, y)
    save_model(model, tmp_path / "ok.skprecmed")
    with pytest.raises(ValueError, match=r"not trusted: \['numpy.linalg.norm'\]"):
        load_model(tmp_path / "ok.skprecmed")
    reloaded = load_model(tmp_path / "ok.skprecmed", trusted=["numpy.linalg.norm"])
    np.testing.assert_array_equal(reloaded.predict_proba(X), model.predict_proba(X))
    # a forged file: a payload calling os.system, with a matching hash
    evil = skops.io.dumps(FunctionTransformer(os.system))
    # read_metadata audits the payload too: the user's own type is named
    meta = read_metadata(tmp_path / "ok.skprecmed", trusted=["numpy.linalg.norm"])
    meta["payload_sha256"] = hashlib.sha256(evil).hexdigest()
    _rewrite(
        tmp_path / "ok.skprecmed",
        tmp_path / "evil.skprecmed",
        metadata=meta,
        payload=evil,
    )
    with pytest.raises(ValueError, match=r"not trusted: \['(posix|nt)\.system'\]"):
        load_model(tmp_path / "evil.skprecmed")


@pytest.mark.parametrize("kind", ["joblib", "text", "zip-without-model"])
def test_foreign_files_are_refused(fitted, tmp_path, kind):
    path = tmp_path / "foreign"
    if kind == "joblib":
        joblib.dump(fitted, path)
    elif kind == "text":
        path.write_text("age,sex\n1,2\n")
    else:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("readme.txt", "hello")
    with pytest.raises(ValueError, match="is not a skprecmed model file"):
        load_model(path)


def test_other_major_versions_warn(fitted, tmp_path):
    save_model(fitted, tmp_path / "m.skprecmed")
    meta = read_metadata(tmp_path / "m.skprecmed")
    meta["versions"]["scikit-learn"] = "0.24.2"
    _rewrite(tmp_path / "m.skprecmed", tmp_path / "old.skprecmed", metadata=meta)
    with pytest.warns(ModelVersionWarning, match=r"scikit-learn 0.24.2 -> "):
        load_model(tmp_path / "old.skprecmed")
