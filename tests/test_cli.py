"""The ``skprecmed`` command line.

Most checks call ``skprecmed._cli.main([...])`` in this process (one
TensorFlow import, models trained once per module); real processes run the
console script where the process itself is under test: exit statuses,
Ctrl-C, a closed pipe, the demo and the end-to-end runs.
"""

import os
import re
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

from skprecmed._cli import main


def _script():
    beside_python = Path(sys.executable).with_name("skprecmed")
    script = str(beside_python) if beside_python.exists() else shutil.which("skprecmed")
    assert script, "the skprecmed console script is not installed"
    return script


def run(*args, cwd=None, check=True):
    """The console script in a new process."""
    out = subprocess.run(
        [_script(), *map(str, args)], capture_output=True, text=True, cwd=cwd
    )
    if check:
        assert out.returncode == 0, out.stderr
    return out


def cli(capsys, *args, status=0):
    """``main(args)`` in this process: its (stdout, stderr), status checked."""
    capsys.readouterr()  # what earlier steps printed
    got = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert got == status, err
    return out, err


def train_here(*args):
    """Train in this process (for module-scoped fixtures, without capsys)."""
    assert main([str(a) for a in args]) == 0


def _one_error_line(err):
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("skprecmed: error: "), err
    return lines[0]


def _metrics(stdout):
    return {
        line.split()[0]: float(line.split()[1])
        for line in stdout.splitlines()
        if len(line.split()) == 2 and not line.startswith(" ")
    }


# ----------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def cancer_csv(tmp_path_factory):
    """Breast cancer patients with a patient ID, split 400/169."""
    folder = tmp_path_factory.mktemp("cancer")
    frame = load_breast_cancer(as_frame=True).frame.rename(
        columns={"target": "diagnosis"}
    )
    frame["diagnosis"] = frame["diagnosis"].map({0: "malignant", 1: "benign"})
    frame.insert(0, "patient_id", [f"P{i:04d}" for i in range(len(frame))])
    frame.iloc[:400].to_csv(folder / "train.csv", index=False)
    frame.iloc[400:].to_csv(folder / "test.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def cancer_model(cancer_csv):
    model = cancer_csv / "m.skprecmed"
    train_here(
        "train",
        cancer_csv / "train.csv",
        "--target",
        "diagnosis",
        "--id",
        "patient_id",
        "-o",
        model,
        "--epochs",
        "5",
        "--hidden",
        "16",
    )
    return model


@pytest.fixture(scope="module")
def whas(tmp_path_factory):
    """WHAS500 as a file, and a survival model trained on it."""
    from sksurv.datasets import load_whas500

    folder = tmp_path_factory.mktemp("whas")
    X, y = load_whas500()
    X.assign(fstat=y["fstat"].astype(int), lenfol=y["lenfol"]).to_csv(
        folder / "whas.csv", index=False
    )
    train_here(
        "train",
        folder / "whas.csv",
        "--event",
        "fstat",
        "--time",
        "lenfol",
        "-o",
        folder / "s.skprecmed",
        "--epochs",
        "10",
    )
    return folder / "whas.csv", folder / "s.skprecmed", y


# ------------------------------------------------------- in-process checks
def test_train_records_what_a_card_needs(cancer_csv, cancer_model, capsys):
    from skprecmed import read_metadata

    meta = read_metadata(cancer_model)
    names = meta["feature_names"]
    assert "patient_id" not in names and len(names) == 30
    counts = pd.read_csv(cancer_csv / "train.csv")["diagnosis"].value_counts()
    assert meta["training"] == {"n_rows": 400, "class_counts": counts.to_dict()}

    out, _ = cli(capsys, "info", cancer_model)
    assert re.search(r"^task +classification \(KerasNetClassifier\)$", out, re.M)
    assert "30 features: mean radius, mean texture" in out
    assert "proba_benign, proba_malignant, predicted" in out
    assert f"400 rows; benign: {counts['benign']}, malignant:" in out
    assert re.search(r"^performance +not recorded", out, re.M)
    out, _ = cli(capsys, "info", cancer_model, "--json")
    assert '"estimator": "KerasNetClassifier"' in out
    assert '"classes": [\n    "benign",\n    "malignant"\n  ]' in out


def test_predict_carries_the_id_and_evaluate_the_threshold(
    cancer_csv, cancer_model, capsys
):
    test = pd.read_csv(cancer_csv / "test.csv")
    cli(
        capsys,
        "predict",
        cancer_model,
        cancer_csv / "test.csv",
        "--id",
        "patient_id",
        "-o",
        cancer_csv / "pred.csv",
    )
    pred = pd.read_csv(cancer_csv / "pred.csv")
    assert list(pred.columns) == [
        "patient_id",
        "proba_benign",
        "proba_malignant",
        "predicted",
    ]
    assert pred["patient_id"].tolist() == test["patient_id"].tolist()
    np.testing.assert_allclose(pred["proba_benign"] + pred["proba_malignant"], 1)
    assert (pred["predicted"] == test["diagnosis"]).mean() > 0.9

    positive = (test["diagnosis"] == "malignant").to_numpy()
    for threshold in (0.5, 0.2):
        out, _ = cli(
            capsys,
            "evaluate",
            cancer_model,
            cancer_csv / "test.csv",
            "--target",
            "diagnosis",
            "--threshold",
            threshold,
        )
        got = _metrics(out)
        called = pred["proba_malignant"].to_numpy() >= threshold
        tp, fn = (called & positive).sum(), (~called & positive).sum()
        tn, fp = (~called & ~positive).sum(), (called & ~positive).sum()
        assert got["threshold"] == threshold
        assert got["sensitivity"] == pytest.approx(tp / (tp + fn), abs=1e-4)
        assert got["specificity"] == pytest.approx(tn / (tn + fp), abs=1e-4)
        assert got["ppv"] == pytest.approx(tp / (tp + fp), abs=1e-4)
        assert got["npv"] == pytest.approx(tn / (tn + fn), abs=1e-4)
    assert got["roc_auc"] > 0.95 and {"accuracy", "log_loss", "brier"} <= set(got)
    assert "calibration (positive class 'malignant'" in out

    out, _ = cli(capsys, "predict", cancer_model, cancer_csv / "test.csv")
    assert out.splitlines()[0] == "proba_benign,proba_malignant,predicted"


def test_columns_are_aligned_by_name(cancer_csv, cancer_model, capsys):
    shuffled = pd.read_csv(cancer_csv / "test.csv")
    shuffled = shuffled[shuffled.columns[::-1]]
    shuffled.to_csv(cancer_csv / "shuffled.csv", index=False)
    a, _ = cli(capsys, "predict", cancer_model, cancer_csv / "test.csv")
    b, _ = cli(capsys, "predict", cancer_model, cancer_csv / "shuffled.csv")
    assert a == b


def test_card_reports_what_the_file_records(cancer_csv, cancer_model, capsys):
    _, err = cli(capsys, "card", cancer_model, "-o", cancer_csv / "card.md")
    assert "wrote" in err
    card = (cancer_csv / "card.md").read_text()
    for heading in (
        "# Model description",
        "## Intended use",
        "## Training data",
        "## Evaluation results",
        "# Hyperparameters",
        "# Versions",
        "# Limitations",
    ):
        assert f"\n{heading}\n" in f"\n{card}", heading
    assert "probability of each outcome class (benign, malignant)" in card
    assert "400 rows; benign: " in card and "| mean radius | float64 |" in card
    assert "not recorded; run `skprecmed evaluate`" in card
    assert re.search(r"\|\s+epochs\s+\|\s+5\s+\|", card)
    assert re.search(r"\|\s+skprecmed\s+\|", card)


def test_survival_risk_probabilities_and_metrics(whas, capsys):
    data, model, y = whas
    out, _ = cli(capsys, "predict", model, data, "--times", "365,30,1000")
    pred = pd.read_csv(pd.io.common.StringIO(out))
    surv = ["survival_at_30", "survival_at_365", "survival_at_1000"]
    assert list(pred.columns) == ["risk", *surv]
    assert ((pred[surv] >= 0) & (pred[surv] <= 1)).all().all()
    assert (np.diff(pred[surv].to_numpy(), axis=1) <= 0).all()
    # a higher risk, a lower survival: the same order at every time
    assert pred["risk"].corr(pred["survival_at_365"], method="spearman") < -0.99

    survival = ["--event", "fstat", "--time", "lenfol"]
    out, _ = cli(capsys, "evaluate", model, data, *survival)
    got = _metrics(out)
    quartiles = np.percentile(y["lenfol"], [25, 50, 75])
    assert [f"auc_at_{t:g}" in got for t in quartiles] == [True] * 3
    assert got["c_index"] > 0.65 and got["uno_c"] > 0.6 and got["mean_auc"] > 0.6
    assert 0 < got["integrated_brier"] < 0.25
    assert got["n_events"] == y["fstat"].sum()
    out, _ = cli(capsys, "evaluate", model, data, *survival, "--times", "100,500")
    assert {"auc_at_100", "brier_at_500", "integrated_brier"} <= set(_metrics(out))

    _, err = cli(capsys, "predict", model, data, "--times", "99999", status=1)
    assert "outside the model's follow-up" in _one_error_line(err)
    _, err = cli(capsys, "evaluate", model, data, *survival, "--times", "0.1", status=1)
    assert "outside the follow-up of the evaluation data" in _one_error_line(err)


def test_times_are_for_survival_models_only(cancer_csv, cancer_model, capsys):
    _, err = cli(
        capsys,
        "predict",
        cancer_model,
        cancer_csv / "test.csv",
        "--times",
        "12",
        status=1,
    )
    assert "--times is for survival models only" in _one_error_line(err)


def test_regression_from_a_file(tmp_path, capsys):
    frame = load_diabetes(as_frame=True).frame
    if _has_pyarrow():
        data = tmp_path / "diabetes.parquet"
        frame.to_parquet(data)
    else:
        data = tmp_path / "diabetes.csv"
        frame.to_csv(data, index=False)
    model = tmp_path / "r.skprecmed"
    cli(capsys, "train", data, "--target", "target", "-o", model, "--epochs", "20")
    out, _ = cli(capsys, "evaluate", model, data, "--target", "target")
    assert _metrics(out)["r2"] > 0.3
    pred = cli(capsys, "predict", model, data)[0].splitlines()
    assert pred[0] == "prediction" and len(pred) == 443
    out, _ = cli(capsys, "info", model)
    assert re.search(r"^task +regression \(KerasNetRegressor\)$", out, re.M)


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


def _write(path, text):
    path.write_text(text)
    return path


BAD_INPUTS = {
    "missing-file": (
        lambda d: d / "nothere.csv",
        ["predict", "{model}", "{file}"],
        "no such file",
    ),
    "empty": (
        lambda d: _write(d / "empty.csv", ""),
        ["predict", "{model}", "{file}"],
        "the file is empty",
    ),
    "no-rows": (
        lambda d: _write(d / "header.csv", "a,b\n"),
        ["predict", "{model}", "{file}"],
        "has no rows",
    ),
    "missing-columns": (
        lambda d: _write(d / "few.csv", "mean radius,mean texture\n1,2\n"),
        ["predict", "{model}", "{file}"],
        r"missing column\(s\) \['mean perimeter'",
    ),
    "missing-id": (
        lambda d: d / "test.csv",
        ["predict", "{model}", "{file}", "--id", "mrn"],
        r"missing column\(s\) \['mrn'\]",
    ),
    "wrong-type": (
        lambda d: _write(d / "data.txt", "x"),
        ["predict", "{model}", "{file}"],
        "expected a .csv or .parquet",
    ),
    "not-a-model": (
        lambda d: _write(d / "notmodel.skprecmed", "hello"),
        ["info", "{file}"],
        "is not a skprecmed model file",
    ),
    "no-target-column": (
        lambda d: d / "test.csv",
        ["evaluate", "{model}", "{file}", "--target", "nope"],
        r"missing column\(s\) \['nope'\]",
    ),
    "no-target-given": (
        lambda d: d / "test.csv",
        ["evaluate", "{model}", "{file}"],
        "name the outcome",
    ),
    "half-survival": (
        lambda d: d / "test.csv",
        ["train", "{file}", "--event", "x", "-o", "m"],
        "needs both --event and --time",
    ),
    "id-is-outcome": (
        lambda d: d / "train.csv",
        ["train", "{file}", "--target", "diagnosis", "--id", "diagnosis", "-o", "m"],
        "--id 'diagnosis' is also the outcome",
    ),
    "stray-string": (
        _stray_radius,
        ["predict", "{model}", "{file}"],
        r"column 'mean radius' .*'unknown'",
    ),
    "damaged-model": (
        _damaged_model,
        ["predict", "{file}", "{data}"],
        "damaged.skprecmed: member 'model.skops' is corrupt",
    ),
    "output-folder": (
        lambda d: d / "test.csv",
        ["predict", "{model}", "{file}", "-o", "{folder}"],
        "is a folder",
    ),
    "card-over-model": (
        lambda d: d / "m.skprecmed",
        ["card", "{file}", "-o", "{file}"],
        "refusing",
    ),
}


def _argv(case, cancer_csv, cancer_model):
    make_file, args, message = BAD_INPUTS[case]
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
    return argv, message


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_one_line_and_a_nonzero_exit(
    cancer_csv, cancer_model, capsys, case
):
    argv, message = _argv(case, cancer_csv, cancer_model)
    _, err = cli(capsys, *argv, status=1)
    assert re.search(message, _one_error_line(err))


def test_bad_input_exit_status_of_the_console_script(cancer_csv, cancer_model):
    argv, message = _argv("missing-columns", cancer_csv, cancer_model)
    out = run(*argv, check=False)
    assert out.returncode == 1
    assert re.search(message, _one_error_line(out.stderr))


def test_module_entry_point_help():
    out = subprocess.run(
        [sys.executable, "-m", "skprecmed", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for command in ("demo", "train", "predict", "evaluate", "info", "card", "serve"):
        assert command in out.stdout


@pytest.mark.parametrize(
    "argv, message",
    [
        (["nope"], "invalid choice"),
        (["evaluate", "m", "d", "--threshold", "1.5"], "expected a number in (0, 1)"),
        (["predict", "m", "d", "--times", "12,x"], "expected times like 12,36,60"),
        (["predict", "m", "d", "--times", "-1"], "not negative"),
        (["serve", "m", "--port", "70000"], "expected a port 0-65535"),
    ],
)
def test_usage_errors_exit_2(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("spelling", ["same", "dotted", "model"])
def test_predict_refuses_to_overwrite_its_input(
    cancer_csv, cancer_model, tmp_path, capsys, spelling
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
    _, err = cli(capsys, "predict", model, data, "-o", target, status=1)
    assert "refusing to write the output" in _one_error_line(err)
    assert {path: path.read_bytes() for path in (data, model)} == before


def test_train_refuses_to_overwrite_its_input(cancer_csv, tmp_path, capsys):
    data = tmp_path / "patients.csv"
    shutil.copy(cancer_csv / "train.csv", data)
    before = data.read_bytes()
    _, err = cli(
        capsys,
        "train",
        data,
        "--target",
        "diagnosis",
        "-o",
        data,
        "--epochs",
        "2",
        status=1,
    )
    assert "refusing to write the output" in _one_error_line(err)
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


def test_many_levels_and_an_identifier_train_and_predict(clinic_csv, tmp_path, capsys):
    from skprecmed import load_model

    frame = pd.read_csv(clinic_csv).drop(columns="diagnosis")
    pooled, excluded = tmp_path / "pooled.skprecmed", tmp_path / "id.skprecmed"
    train = ["train", clinic_csv, "--target", "diagnosis", "--epochs", "2"]
    _, err = cli(capsys, *train, "-o", pooled)
    assert "column 'patient_id' has a distinct value in every row" in err
    # 5 measurements, site capped at 20 columns, the ID pooled into one
    assert load_model(pooled)[0].transform(frame).shape == (len(frame), 5 + 20 + 1)
    _, err = cli(capsys, *train, "--id", "patient_id", "-o", excluded)
    assert "distinct value in every row" not in err
    assert load_model(excluded)[0].transform(frame).shape == (len(frame), 5 + 20)
    pred = cli(capsys, "predict", excluded, clinic_csv)[0].splitlines()
    assert pred[0] == "proba_benign,proba_malignant,predicted"
    assert len(pred) - 1 == len(frame)


def test_stray_string_in_a_numeric_column_is_named(cancer_csv, tmp_path, capsys):
    frame = pd.read_csv(cancer_csv / "train.csv")
    frame["mean radius"] = frame["mean radius"].astype(object)
    frame.loc[[3, 7], "mean radius"] = "unknown"
    frame.to_csv(tmp_path / "stray.csv", index=False)
    _, err = cli(
        capsys,
        "train",
        tmp_path / "stray.csv",
        "--target",
        "diagnosis",
        "-o",
        tmp_path / "m.skprecmed",
        "--epochs",
        "2",
        status=1,
    )
    line = _one_error_line(err)
    assert (
        "column 'mean radius'" in line and "2 value(s)" in line and "'unknown'" in line
    )
    assert not (tmp_path / "m.skprecmed").exists()


@pytest.fixture(scope="module")
def whas_coded(tmp_path_factory):
    """WHAS500 with the event coded dead/alive and 2/1, and its true events."""
    from sksurv.datasets import load_whas500

    folder = tmp_path_factory.mktemp("whas_coded")
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
def test_event_coding_must_be_explicit(whas_coded, capsys, coding, found):
    folder, _, _ = whas_coded
    _, err = cli(
        capsys,
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
        status=1,
    )
    line = _one_error_line(err)
    assert f"found values {found}" in line and "--event-value" in line
    assert not (folder / "never.skprecmed").exists()


@pytest.mark.parametrize("coding, value", [("words", "dead"), ("12", "2")])
def test_event_value_names_the_event(whas_coded, tmp_path, capsys, coding, value):
    from skprecmed import load_model

    folder, event, lenfol = whas_coded
    data, model = folder / f"{coding}.csv", tmp_path / "m.skprecmed"
    survival = ["--event", "status", "--time", "lenfol", "--event-value", value]
    cli(capsys, "train", data, *survival, "-o", model, "--epochs", "2")
    # Breslow's baseline hazard rises at each distinct event time and only there;
    # with every patient an event it would rise at all 395 distinct times
    hazard = load_model(model)[-1].cum_baseline_hazard_
    rises = np.count_nonzero(np.diff(np.r_[0.0, hazard.y]) > 0)
    assert rises == len(np.unique(lenfol[event])) < len(np.unique(lenfol))
    out, _ = cli(capsys, "evaluate", model, data, *survival)
    assert _metrics(out)["n_events"] == event.sum()


def test_version_and_help_show_every_option_and_its_default(capsys):
    import skprecmed
    from skprecmed._cli.parser import build_parser

    assert run("--version").stdout.strip() == f"skprecmed {skprecmed.__version__}"
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = capsys.readouterr().out
    assert (
        "passes over the training data (early stopping may stop sooner) (default: 200)"
        in " ".join(out.split())
    )
    assert "(default: 32)" in out and "--event-value VALUE" in out
    assert "--id COLUMN" in out
    with pytest.raises(SystemExit):
        main(["predict", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "log-hazard ratio relative to the average training patient" in out
    assert "higher means an earlier event" in out and "survival_at_12" in out
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    for name, command in commands.items():
        for action in command._actions:
            assert action.help, (
                f"{name} {action.option_strings or action.dest} has no help"
            )


# ------------------------------------------------- the process under test
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
def _default_sigint():
    signal.signal(signal.SIGINT, signal.SIG_DFL)


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
        # a suite started in the background of a non-interactive shell has
        # SIGINT ignored, and children inherit that: give the script the
        # default disposition a terminal's Ctrl-C meets
        preexec_fn=_default_sigint,
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


def _gbsg2(folder):
    """scikit-survival's GBSG2 breast cancer trial, with a patient ID."""
    from sksurv.datasets import load_gbsg2

    X, y = load_gbsg2()
    frame = X.assign(cens=y["cens"].astype(int), time=y["time"])
    frame.insert(0, "patient_id", [f"G{i:04d}" for i in range(len(frame))])
    frame.iloc[:500].to_csv(folder / "train.csv", index=False)
    frame.iloc[500:].to_csv(folder / "test.csv", index=False)
    return ["--event", "cens", "--time", "time"], [365, 1095, 1825]


def _cancer(folder):
    frame = load_breast_cancer(as_frame=True).frame.rename(
        columns={"target": "diagnosis"}
    )
    frame["diagnosis"] = frame["diagnosis"].map({0: "malignant", 1: "benign"})
    frame.insert(0, "patient_id", [f"P{i:04d}" for i in range(len(frame))])
    frame.iloc[:400].to_csv(folder / "train.csv", index=False)
    frame.iloc[400:].to_csv(folder / "test.csv", index=False)
    return ["--target", "diagnosis"], []


@pytest.mark.slow
@pytest.mark.parametrize("make_data", [_cancer, _gbsg2], ids=["cancer", "gbsg2"])
def test_end_to_end_through_the_console_script(tmp_path, make_data):
    outcome, times = make_data(tmp_path)
    model = tmp_path / "model.skprecmed"
    out = run(
        "train",
        tmp_path / "train.csv",
        *outcome,
        "--id",
        "patient_id",
        "-o",
        model,
        "--epochs",
        "5",
    )
    assert "epoch 5/5" in out.stderr and "distinct value" not in out.stderr
    when = ["--times", ",".join(map(str, times))] if times else []
    run(
        "predict",
        model,
        tmp_path / "test.csv",
        "--id",
        "patient_id",
        *when,
        "-o",
        tmp_path / "pred.csv",
    )
    test, pred = pd.read_csv(tmp_path / "test.csv"), pd.read_csv(tmp_path / "pred.csv")
    assert pred.columns[0] == "patient_id"
    assert pred["patient_id"].tolist() == test["patient_id"].tolist()
    if times:
        surv = pred[[f"survival_at_{t}" for t in times]].to_numpy()
        assert ((surv >= 0) & (surv <= 1)).all()
        assert (np.diff(surv, axis=1) <= 0).all()
    metrics = _metrics(run("evaluate", model, tmp_path / "test.csv", *outcome).stdout)
    assert metrics["n"] == len(test)
    expected = (
        {"uno_c", "mean_auc", "integrated_brier"}
        if times
        else {"sensitivity", "specificity", "ppv", "npv"}
    )
    assert expected <= set(metrics)
    run("card", model, "-o", tmp_path / "card.md")
    card = (tmp_path / "card.md").read_text()
    train = pd.read_csv(tmp_path / "train.csv")
    recorded = (
        f"{len(train)} rows; {train['cens'].sum()} events"
        if times
        else f"{len(train)} rows; benign: {(train['diagnosis'] == 'benign').sum()}"
    )
    assert "## Training data" in card and recorded in card
