"""The ``skprecmed`` console script, run as a user runs it."""

import shutil
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes


def _script():
    beside_python = Path(sys.executable).with_name("skprecmed")
    script = str(beside_python) if beside_python.exists() else shutil.which("skprecmed")
    assert script, "the skprecmed console script is not installed"
    return script


def run(*args, cwd=None, check=True):
    out = subprocess.run([_script(), *map(str, args)], capture_output=True, text=True, cwd=cwd)
    if check:
        assert out.returncode == 0, out.stderr
    return out


@pytest.fixture(scope="module")
def cancer_csv(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cancer")
    frame = load_breast_cancer(as_frame=True).frame.rename(columns={"target": "diagnosis"})
    frame["diagnosis"] = frame["diagnosis"].map({0: "malignant", 1: "benign"})
    frame.iloc[:400].to_csv(folder / "train.csv", index=False)
    frame.iloc[400:].to_csv(folder / "test.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def cancer_model(cancer_csv):
    out = run("train", cancer_csv / "train.csv", "--target", "diagnosis", "-o",
              cancer_csv / "m.skprecmed", "--epochs", "5", "--hidden", "16")
    assert "epoch 5/5" in out.stderr and "wrote" in out.stderr
    return cancer_csv / "m.skprecmed"


@pytest.mark.slow
def test_demo_trains_tunes_validates_and_saves(tmp_path):
    model = tmp_path / "model.joblib"
    out = run("demo", "--epochs", "3", "--cv", "2", "--output", model)
    for step in ("GridSearchCV", "cross-validated ROC AUC", "held-out", "ROC AUC", "reloaded"):
        assert step in out.stdout
    assert out.stderr == ""
    pipe = joblib.load(model)
    assert list(pipe.named_steps) == ["impute", "scale", "net"]
    assert set(pipe.classes_) == {"benign", "malignant"}


@pytest.mark.slow
def test_train_predict_evaluate_info_round_trip(cancer_csv, cancer_model):
    run("predict", cancer_model, cancer_csv / "test.csv", "-o", cancer_csv / "pred.csv")
    pred = pd.read_csv(cancer_csv / "pred.csv")
    truth = pd.read_csv(cancer_csv / "test.csv")["diagnosis"]
    assert list(pred.columns) == ["proba_benign", "proba_malignant", "predicted"]
    assert len(pred) == 169
    np.testing.assert_allclose(pred["proba_benign"] + pred["proba_malignant"], 1)
    assert (pred["predicted"] == truth).mean() > 0.9

    out = run("evaluate", cancer_model, cancer_csv / "test.csv", "--target", "diagnosis")
    metrics = dict(line.split()[:2] for line in out.stdout.splitlines()[:6])
    assert float(metrics["roc_auc"]) > 0.95
    assert {"accuracy", "log_loss", "brier"} <= set(metrics)
    assert "calibration (positive class 'malignant'" in out.stdout

    out = run("info", cancer_model)
    assert '"estimator": "KerasNetClassifier"' in out.stdout
    assert '"classes": [\n    "benign",\n    "malignant"\n  ]' in out.stdout


@pytest.mark.slow
def test_columns_are_aligned_by_name(cancer_csv, cancer_model):
    shuffled = pd.read_csv(cancer_csv / "test.csv")
    shuffled = shuffled[shuffled.columns[::-1]]
    shuffled.to_csv(cancer_csv / "shuffled.csv", index=False)
    a = run("predict", cancer_model, cancer_csv / "test.csv").stdout
    b = run("predict", cancer_model, cancer_csv / "shuffled.csv").stdout
    assert a == b


@pytest.mark.slow
def test_survival_and_regression_from_files(tmp_path):
    from sksurv.datasets import load_whas500

    X, y = load_whas500()
    X.assign(fstat=y["fstat"].astype(int), lenfol=y["lenfol"]).to_csv(tmp_path / "whas.csv", index=False)
    run("train", tmp_path / "whas.csv", "--event", "fstat", "--time", "lenfol",
        "-o", tmp_path / "s.skprecmed", "--epochs", "10")
    out = run("evaluate", tmp_path / "s.skprecmed", tmp_path / "whas.csv", "--event", "fstat", "--time", "lenfol")
    assert float(out.stdout.split("c_index")[1].split()[0]) > 0.65

    frame = load_diabetes(as_frame=True).frame
    if _has_pyarrow():
        data = tmp_path / "diabetes.parquet"
        frame.to_parquet(data)
    else:
        data = tmp_path / "diabetes.csv"
        frame.to_csv(data, index=False)
    run("train", data, "--target", "target", "-o", tmp_path / "r.skprecmed", "--epochs", "20")
    out = run("evaluate", tmp_path / "r.skprecmed", data, "--target", "target")
    assert float(out.stdout.split("r2")[1].split()[0]) > 0.3
    pred = run("predict", tmp_path / "r.skprecmed", data).stdout.splitlines()
    assert pred[0] == "prediction" and len(pred) == 443


def _has_pyarrow():
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.parametrize(
    "make_file, args, message",
    [
        (lambda d: d / "nothere.csv", ["predict", "{model}", "{file}"], "no such file"),
        (lambda d: _write(d / "empty.csv", ""), ["predict", "{model}", "{file}"], "the file is empty"),
        (lambda d: _write(d / "header.csv", "a,b\n"), ["predict", "{model}", "{file}"], "has no rows"),
        (lambda d: _write(d / "few.csv", "mean radius,mean texture\n1,2\n"),
         ["predict", "{model}", "{file}"], r"missing column\(s\) \['mean perimeter'"),
        (lambda d: _write(d / "data.txt", "x"), ["predict", "{model}", "{file}"], "expected a .csv or .parquet"),
        (lambda d: _write(d / "notmodel.skprecmed", "hello"), ["info", "{file}"], "is not a skprecmed model file"),
        (lambda d: d / "test.csv", ["evaluate", "{model}", "{file}", "--target", "nope"], r"missing column\(s\) \['nope'\]"),
        (lambda d: d / "test.csv", ["evaluate", "{model}", "{file}"], "name the outcome"),
        (lambda d: d / "test.csv", ["train", "{file}", "--event", "x", "-o", "m"], "needs both --event and --time"),
    ],
    ids=["missing-file", "empty", "no-rows", "missing-columns", "wrong-type", "not-a-model",
         "no-target-column", "no-target-given", "half-survival"],
)
def test_bad_input_is_one_line_and_a_nonzero_exit(cancer_csv, cancer_model, make_file, args, message):
    import re

    path = make_file(cancer_csv)
    argv = [a.format(model=cancer_model, file=path) for a in args]
    out = run(*argv, check=False)
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("skprecmed: error: "), out.stderr
    assert re.search(message, lines[0])
    assert "Traceback" not in out.stderr


def _write(path, text):
    path.write_text(text)
    return path


def test_module_entry_point_help():
    out = subprocess.run(
        [sys.executable, "-m", "skprecmed", "--help"], capture_output=True, text=True, check=True
    )
    for command in ("demo", "train", "predict", "evaluate", "info"):
        assert command in out.stdout


def test_unknown_command_fails_with_usage():
    out = subprocess.run([sys.executable, "-m", "skprecmed", "nope"], capture_output=True, text=True)
    assert out.returncode == 2
    assert "invalid choice" in out.stderr
