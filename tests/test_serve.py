"""``skprecmed serve``: real HTTP requests to a server on the loopback address."""

import contextlib
import json
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

LOOPBACK = "127.0.0.1"


def _free_port():
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def _call(base, path, body=None):
    """(status, JSON) of a GET, or of a POST of ``body``."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        base + path, data=data, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _wait_until_healthy(base, proc=None, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"the server exited with {proc.returncode}")
        try:
            return _call(base, "/health")[1]
        except OSError:  # not listening yet
            time.sleep(0.2)
    pytest.fail(f"the server did not answer /health within {timeout} s")


def _rows(frame):
    """Rows as JSON objects: NaN becomes null."""
    return json.loads(frame.to_json(orient="records"))


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    """A classifier on measurements and a text column, with its data."""
    from skprecmed._cli import main

    folder = tmp_path_factory.mktemp("serve")
    frame = load_breast_cancer(as_frame=True).frame.iloc[:, [0, 1, 2, 3, 30]]
    frame = frame.rename(columns={"target": "diagnosis"})
    frame["diagnosis"] = frame["diagnosis"].map({0: "malignant", 1: "benign"})
    frame["site"] = np.where(np.arange(len(frame)) % 3, "north", "south")
    frame.loc[5, "mean texture"] = np.nan  # a missing value travels as null
    frame.to_csv(folder / "clinic.csv", index=False)
    model = folder / "m.skprecmed"
    train = ["train", folder / "clinic.csv", "--target", "diagnosis"]
    assert main([str(a) for a in [*train, "-o", model, "--epochs", "3"]]) == 0
    return model, pd.read_csv(folder / "clinic.csv").drop(columns="diagnosis")


def _script():
    beside_python = Path(sys.executable).with_name("skprecmed")
    return str(beside_python) if beside_python.exists() else shutil.which("skprecmed")


@pytest.mark.slow
def test_serve_answers_real_requests_and_stops_cleanly(clinic):
    from skprecmed import load_model, read_metadata

    model_path, frame = clinic
    port = _free_port()
    base = f"http://{LOOPBACK}:{port}"
    proc = subprocess.Popen(
        [_script(), "serve", str(model_path), "--host", LOOPBACK, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        health = _wait_until_healthy(base, proc)
        # a dense model predicts with NumPy: the server never imports TensorFlow
        assert health == {"status": "ok", "tensorflow_imported": False}
        assert _call(base, "/metadata") == (200, read_metadata(model_path))

        rows = frame.iloc[:40]
        status, answer = _call(base, "/predict", {"rows": _rows(rows)})
        assert status == 200 and len(answer["predictions"]) == 40
        got = pd.DataFrame(answer["predictions"])
        model = load_model(model_path)
        expected = model.predict_proba(rows)
        np.testing.assert_allclose(
            got[["proba_benign", "proba_malignant"]], expected, atol=1e-6
        )
        assert got["predicted"].tolist() == model.predict(rows).tolist()

        status, answer = _call(base, "/predict", {"rows": [{"mean radius": "big"}]})
        assert status == 422
        fields = {tuple(error["loc"]) for error in answer["detail"]}
        assert ("body", "rows", 0, "mean radius") in fields
        assert ("body", "rows", 0, "site") in fields  # missing: named too

        with urllib.request.urlopen(base + "/docs", timeout=30) as response:
            assert b"swagger" in response.read().lower()
        status, openapi = _call(base, "/openapi.json")
        assert "/predict" in openapi["paths"]
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
    # SIGTERM shuts the server down gracefully: exit status 0
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr and "Finished server process" in stderr


@contextlib.contextmanager
def _served(model_path):
    """``create_app(model_path)`` served by uvicorn in a thread, on a free port."""
    import uvicorn

    from skprecmed._cli.serve import create_app

    port = _free_port()
    config = uvicorn.Config(
        create_app(model_path), host=LOOPBACK, port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://{LOOPBACK}:{port}"
    try:
        _wait_until_healthy(base)
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    assert not thread.is_alive()


@pytest.fixture(scope="module")
def survival_model(tmp_path_factory):
    from sksurv.datasets import load_gbsg2

    from skprecmed._cli import main

    folder = tmp_path_factory.mktemp("serve_survival")
    X, y = load_gbsg2()
    X.assign(cens=y["cens"].astype(int), time=y["time"]).to_csv(
        folder / "gbsg2.csv", index=False
    )
    model = folder / "s.skprecmed"
    argv = ["train", folder / "gbsg2.csv", "--event", "cens", "--time", "time"]
    assert main([str(a) for a in [*argv, "-o", model, "--epochs", "3"]]) == 0
    return model, X


def test_create_app_serves_survival_probabilities(survival_model):
    from skprecmed import load_model

    model_path, X = survival_model
    rows = X.iloc[:10]
    with _served(model_path) as base:
        status, answer = _call(
            base, "/predict", {"rows": _rows(rows), "times": [1825, 365]}
        )
        status_far, far = _call(base, "/predict", {"rows": _rows(rows), "times": [1e6]})
        status_empty, empty = _call(base, "/predict", {"rows": []})
    assert status == 200
    got = pd.DataFrame(answer["predictions"])
    assert list(got.columns) == ["risk", "survival_at_365", "survival_at_1825"]
    model = load_model(model_path)
    np.testing.assert_allclose(got["risk"], model.predict(rows), atol=1e-6)
    assert (got["survival_at_1825"] <= got["survival_at_365"]).all()
    assert status_far == 422 and "outside the model's follow-up" in far["detail"]
    assert status_empty == 422 and empty["detail"][0]["loc"] == ["body", "rows"]
