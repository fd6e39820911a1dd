"""The ``skprecmed`` console script."""

import shutil
import subprocess
import sys
from pathlib import Path

import joblib
import pytest


@pytest.mark.slow
def test_demo_trains_tunes_validates_and_saves(tmp_path):
    beside_python = Path(sys.executable).with_name("skprecmed")
    script = str(beside_python) if beside_python.exists() else shutil.which("skprecmed")
    assert script, "the skprecmed console script is not installed"
    model = tmp_path / "model.joblib"
    out = subprocess.run(
        [script, "demo", "--epochs", "3", "--cv", "2", "--output", str(model)],
        capture_output=True,
        text=True,
        check=True,
    )
    for step in ("GridSearchCV", "cross-validated ROC AUC", "held-out", "ROC AUC", "reloaded"):
        assert step in out.stdout
    assert out.stderr == ""
    pipe = joblib.load(model)
    assert list(pipe.named_steps) == ["impute", "scale", "net"]
    assert set(pipe.classes_) == {"benign", "malignant"}


def test_module_entry_point_help():
    out = subprocess.run(
        [sys.executable, "-m", "skprecmed", "--help"], capture_output=True, text=True, check=True
    )
    assert "demo" in out.stdout


def test_unknown_command_fails_with_usage():
    out = subprocess.run(
        [sys.executable, "-m", "skprecmed", "nope"], capture_output=True, text=True
    )
    assert out.returncode == 2
    assert "invalid choice" in out.stderr
