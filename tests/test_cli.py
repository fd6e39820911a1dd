"""The ``skprecmed`` console script, run as a user runs it."""

import os
import shutil
import signal
import struct
import subprocess
import sys
import time
import zipfile
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
    out = subprocess.run(
        [_script(), *map(str, args)], capture_output=True, text=True, cwd=cwd
    )
    if check:
        assert out.returncode == 0, out.stderr
    return out


@pytest.fixture(scope="module")
def cancer_csv(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cancer")
    frame = load_breast_cancer(as_frame=True).frame.rename(
        columns={"target": "diagnosis"}
    )
    frame["diagnosis"] = frame["diagnosis"].map({0: "malignant", 1: "benign"})
    frame.iloc[:400].to_csv(folder / "train.csv", index=False)
    frame.iloc[400:].to_csv(folder / "test.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def cancer_model(cancer_csv):
    out = run(
        "train",
        cancer_csv / "train.csv",
        "--target",
        "diagnosis",
        "-o",
        cancer_csv / "m.skprecmed",
        "--epochs",
        "5",
        "--hidden",
        "16",
    )
    assert "epoch 5/5" in out.stderr and "wrote" in out.stderr
    return cancer_csv / "m.skprecmed"


@pytest.mark.slow
def test_demo_trains_tunes_validates_and_saves(tmp_path):
    model = tmp_path / "model.joblib"
    out = run("demo", "--epochs", "3", "--cv", "2", "--output", model)
    for step in (
        "GridSearchCV",
        "cross-validated ROC AUC",
        "held-out",
        "ROC AUC",
        "reloaded",
    ):
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

    out = run(
        "evaluate", cancer_model, cancer_csv / "test.csv", "--target", "diagnosis"
    )
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
    X.assign(fstat=y["fstat"].astype(int), lenfol=y["lenfol"]).to_csv(
        tmp_path / "whas.csv", index=False
    )
    run(
        "train",
        tmp_path / "whas.csv",
        "--event",
        "fstat",
        "--time",
        "lenfol",
        "-o",
        tmp_path / "s.skprecmed",
        "--epochs",
        "10",
    )
    out = run(
        "evaluate",
        tmp_path / "s.skprecmed",
        tmp_path / "whas.csv",
        "--event",
        "fstat",
        "--time",
        "lenfol",
    )
    assert float(out.stdout.split("c_index")[1].split()[0]) > 0.65

    frame = load_diabetes(as_frame=True).frame
    if _has_pyarrow():
        data = tmp_path / "diabetes.parquet"
        frame.to_parquet(data)
    else:
        data = tmp_path / "diabetes.csv"
        frame.to_csv(data, index=False)
    run(
        "train",
        data,
        "--target",
        "target",
        "-o",
        tmp_path / "r.skprecmed",
        "--epochs",
        "20",
    )
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


def _stray_radius(folder):
    """The test patients with one 'unknown' in a measurement column."""
    frame = pd.read_csv(folder / "test.csv")
    frame["mean radius"] = frame["mean radius"].astype(object)
    frame.loc[3, "mean radius"] = "unknown"
    frame.to_csv(folder / "stray.csv", index=False)
    return folder / "stray.csv"


def _damaged_model(folder):
    """A model file whose payload is not valid deflate data (zlib's error)."""
    good = folder / "m.skprecmed"
    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as archive:
        offset = archive.getinfo("model.skops").header_offset
    name, extra = struct.unpack("<HH", data[offset + 26 : offset + 30])
    data[offset + 30 + name + extra] = 0xFF  # last block, reserved type 3
    (folder / "damaged.skprecmed").write_bytes(bytes(data))
    return folder / "damaged.skprecmed"


@pytest.mark.parametrize(
    "make_file, args, message",
    [
        (lambda d: d / "nothere.csv", ["predict", "{model}", "{file}"], "no such file"),
        (
            lambda d: _write(d / "empty.csv", ""),
            ["predict", "{model}", "{file}"],
            "the file is empty",
        ),
        (
            lambda d: _write(d / "header.csv", "a,b\n"),
            ["predict", "{model}", "{file}"],
            "has no rows",
        ),
        (
            lambda d: _write(d / "few.csv", "mean radius,mean texture\n1,2\n"),
            ["predict", "{model}", "{file}"],
            r"missing column\(s\) \['mean perimeter'",
        ),
        (
            lambda d: _write(d / "data.txt", "x"),
            ["predict", "{model}", "{file}"],
            "expected a .csv or .parquet",
        ),
        (
            lambda d: _write(d / "notmodel.skprecmed", "hello"),
            ["info", "{file}"],
            "is not a skprecmed model file",
        ),
        (
            lambda d: d / "test.csv",
            ["evaluate", "{model}", "{file}", "--target", "nope"],
            r"missing column\(s\) \['nope'\]",
        ),
        (
            lambda d: d / "test.csv",
            ["evaluate", "{model}", "{file}"],
            "name the outcome",
        ),
        (
            lambda d: d / "test.csv",
            ["train", "{file}", "--event", "x", "-o", "m"],
            "needs both --event and --time",
        ),
        (
            _stray_radius,
            ["predict", "{model}", "{file}"],
            r"column 'mean radius' .*'unknown'",
        ),
        (
            _damaged_model,
            ["predict", "{file}", "{data}"],
            "damaged.skprecmed: member 'model.skops' is corrupt",
        ),
        (
            lambda d: d / "test.csv",
            ["predict", "{model}", "{file}", "-o", "{folder}"],
            "is a folder",
        ),
    ],
    ids=[
        "missing-file",
        "empty",
        "no-rows",
        "missing-columns",
        "wrong-type",
        "not-a-model",
        "no-target-column",
        "no-target-given",
        "half-survival",
        "stray-string",
        "damaged-model",
        "output-folder",
    ],
)
def test_bad_input_is_one_line_and_a_nonzero_exit(
    cancer_csv, cancer_model, make_file, args, message
):
    import re

    path = make_file(cancer_csv)
    argv = [
        a.format(
            model=cancer_model,
            file=path,
            data=cancer_csv / "test.csv",
            folder=cancer_csv,
        )
        for a in args
    ]
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
        [sys.executable, "-m", "skprecmed", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for command in ("demo", "train", "predict", "evaluate", "info"):
        assert command in out.stdout


def test_unknown_command_fails_with_usage():
    out = subprocess.run(
        [sys.executable, "-m", "skprecmed", "nope"], capture_output=True, text=True
    )
    assert out.returncode == 2
    assert "invalid choice" in out.stderr


def _one_error_line(out):
    assert out.returncode == 1, out.stderr
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("skprecmed: error: "), out.stderr
    return lines[0]


@pytest.mark.parametrize("spelling", ["same", "dotted", "model"])
def test_predict_refuses_to_overwrite_its_input(
    cancer_csv, cancer_model, tmp_path, spelling
):
    data = tmp_path / "patients.csv"
    model = tmp_path / "model.skprecmed"
    shutil.copy(cancer_csv / "test.csv", data)
    shutil.copy(cancer_model, model)
    target = {
        "same": data,
        "dotted": tmp_path / "sub" / ".." / "patients.csv",
        "model": model,
    }[spelling]
    (tmp_path / "sub").mkdir()
    before = {path: path.read_bytes() for path in (data, model)}
    line = _one_error_line(run("predict", model, data, "-o", target, check=False))
    assert "refusing to write the output" in line
    assert {path: path.read_bytes() for path in (data, model)} == before


def test_train_refuses_to_overwrite_its_input(cancer_csv, tmp_path):
    data = tmp_path / "patients.csv"
    shutil.copy(cancer_csv / "train.csv", data)
    before = data.read_bytes()
    out = run(
        "train", data, "--target", "diagnosis", "-o", data, "--epochs", "2", check=False
    )
    assert "refusing to write the output" in _one_error_line(out)
    assert data.read_bytes() == before


@pytest.fixture(scope="module")
def clinic_csv(tmp_path_factory):
    """Five measurements, a 40-level site and a patient ID on every row."""
    folder = tmp_path_factory.mktemp("clinic")
    frame = load_breast_cancer(as_frame=True).frame
    frame = frame.iloc[:, :5].assign(
        diagnosis=frame["target"].map({0: "malignant", 1: "benign"})
    )
    rng = np.random.RandomState(0)
    frame["site"] = [f"site{i:02d}" for i in rng.randint(0, 40, len(frame))]
    frame["patient_id"] = [f"P{i:05d}" for i in range(len(frame))]
    assert frame["site"].nunique() == 40 and frame["patient_id"].is_unique
    frame.to_csv(folder / "clinic.csv", index=False)
    return folder / "clinic.csv"


@pytest.mark.slow
def test_many_levels_and_an_identifier_train_and_predict(clinic_csv, tmp_path):
    from skprecmed import load_model

    model = tmp_path / "m.skprecmed"
    out = run(
        "train", clinic_csv, "--target", "diagnosis", "-o", model, "--epochs", "2"
    )
    assert "column 'patient_id' has a distinct value in every row" in out.stderr
    pred = run("predict", model, clinic_csv).stdout.splitlines()
    assert pred[0] == "proba_benign,proba_malignant,predicted"
    assert len(pred) - 1 == len(pd.read_csv(clinic_csv))
    # 5 measurements, site capped at 20 columns, the ID pooled into one
    frame = pd.read_csv(clinic_csv).drop(columns="diagnosis")
    assert load_model(model)[0].transform(frame).shape == (len(frame), 5 + 20 + 1)


def test_stray_string_in_a_numeric_column_is_named(cancer_csv, tmp_path):
    frame = pd.read_csv(cancer_csv / "train.csv")
    frame["mean radius"] = frame["mean radius"].astype(object)
    frame.loc[[3, 7], "mean radius"] = "unknown"
    frame.to_csv(tmp_path / "stray.csv", index=False)
    out = run(
        "train",
        tmp_path / "stray.csv",
        "--target",
        "diagnosis",
        "-o",
        tmp_path / "m.skprecmed",
        "--epochs",
        "2",
        check=False,
    )
    line = _one_error_line(out)
    assert (
        "column 'mean radius'" in line and "2 value(s)" in line and "'unknown'" in line
    )
    assert not (tmp_path / "m.skprecmed").exists()


@pytest.fixture(scope="module")
def whas_coded(tmp_path_factory):
    """WHAS500 with the event coded dead/alive and 2/1, and its true events."""
    from sksurv.datasets import load_whas500

    folder = tmp_path_factory.mktemp("whas")
    X, y = load_whas500()
    event, lenfol = y["fstat"], y["lenfol"]
    X.assign(status=np.where(event, "dead", "alive"), lenfol=lenfol).to_csv(
        folder / "words.csv", index=False
    )
    X.assign(status=np.where(event, 2, 1), lenfol=lenfol).to_csv(
        folder / "12.csv", index=False
    )
    return folder, event, lenfol


@pytest.mark.parametrize(
    "coding, found", [("words", "['alive', 'dead']"), ("12", "[1, 2]")]
)
def test_event_coding_must_be_explicit(whas_coded, coding, found):
    folder, _, _ = whas_coded
    out = run(
        "train",
        folder / f"{coding}.csv",
        "--event",
        "status",
        "--time",
        "lenfol",
        "-o",
        folder / "never.skprecmed",
        "--epochs",
        "2",
        check=False,
    )
    line = _one_error_line(out)
    assert f"found values {found}" in line and "--event-value" in line
    assert not (folder / "never.skprecmed").exists()


@pytest.mark.slow
@pytest.mark.parametrize("coding, value", [("words", "dead"), ("12", "2")])
def test_event_value_names_the_event(whas_coded, tmp_path, coding, value):
    from skprecmed import load_model

    folder, event, lenfol = whas_coded
    data, model = folder / f"{coding}.csv", tmp_path / "m.skprecmed"
    survival = ["--event", "status", "--time", "lenfol", "--event-value", value]
    run("train", data, *survival, "-o", model, "--epochs", "2")
    # Breslow's baseline hazard rises at each distinct event time and only there;
    # with every patient an event it would rise at all 395 distinct times
    hazard = load_model(model)[-1].cum_baseline_hazard_
    rises = np.count_nonzero(np.diff(np.r_[0.0, hazard.y]) > 0)
    assert rises == len(np.unique(lenfol[event])) < len(np.unique(lenfol))
    out = run("evaluate", model, data, *survival)
    assert f"n_events     {event.sum()}" in out.stdout


@pytest.mark.slow
def test_ctrl_c_is_one_line_exit_130_and_no_file(whas_coded, tmp_path):
    folder, _, _ = whas_coded
    model = tmp_path / "m.skprecmed"
    proc = subprocess.Popen(
        [
            _script(),
            "train",
            folder / "12.csv",
            "--event",
            "status",
            "--time",
            "lenfol",
            "--event-value",
            "2",
            "-o",
            model,
            "--epochs",
            "100000",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    stderr, deadline = b"", time.monotonic() + 120
    while b"epoch 1/" not in stderr and time.monotonic() < deadline:
        chunk = os.read(proc.stderr.fileno(), 4096)
        if not chunk:
            break
        stderr += chunk
    assert b"epoch 1/" in stderr, stderr.decode()
    proc.send_signal(signal.SIGINT)
    _, rest = proc.communicate(timeout=120)
    stderr = (stderr + rest).decode()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert [line for line in stderr.splitlines() if line.strip()][
        -1
    ] == "skprecmed: interrupted"
    assert list(tmp_path.iterdir()) == []  # no model file, no temporary file


def test_version():
    import skprecmed

    out = run("--version")
    assert out.stdout.strip() == f"skprecmed {skprecmed.__version__}"


def test_help_shows_every_option_and_its_default():
    from skprecmed._cli.parser import build_parser

    out = run("train", "--help").stdout
    assert "passes over the training data (default: 30)" in out
    assert "(default: 32)" in out and "--event-value VALUE" in out
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    for name, command in commands.items():
        for action in command._actions:
            assert action.help, (
                f"{name} {action.option_strings or action.dest} has no help"
            )


def test_closed_pipe_ends_quietly(cancer_csv, cancer_model, tmp_path):
    # ~2 MB of predictions: far more than a pipe holds, so writing must fail
    big = pd.concat([pd.read_csv(cancer_csv / "test.csv")] * 300)
    big.to_csv(tmp_path / "many.csv", index=False)
    proc = subprocess.Popen(
        [_script(), "predict", cancer_model, tmp_path / "many.csv"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout.readline().startswith(b"proba_benign")
    proc.stdout.close()  # the reader leaves, as `head -1` does
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141, stderr
    assert stderr == ""
