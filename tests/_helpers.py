"""Checks shared by several test modules."""

import subprocess
import sys
import textwrap

import joblib
import numpy as np
from sksurv.util import Surv

from skprecmed import (
    KerasNetClassifier,
    KerasNetCompetingRisks,
    KerasNetDiscreteTimeSurvivalAnalysis,
    KerasNetRegressor,
    KerasNetSurvivalAnalysis,
)

ESTIMATOR_CLASSES = [
    KerasNetClassifier,
    KerasNetRegressor,
    KerasNetSurvivalAnalysis,
    KerasNetDiscreteTimeSurvivalAnalysis,
    KerasNetCompetingRisks,  # a boolean event is one cause
]


def toy_data(cls, n=40, seed=0):
    """Three features and a target of the kind ``cls`` learns."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 3))
    if cls is KerasNetClassifier:
        y = (X[:, 0] > 0).astype(int)
    elif cls is KerasNetRegressor:
        y = X[:, 0] + 0.1 * rng.normal(size=n)
    else:
        y = Surv.from_arrays(
            event=rng.uniform(size=n) < 0.7, time=np.exp(-X[:, 0]) + rng.uniform(size=n)
        )
    return X, y


def predict_in_fresh_process(model, X, tmp_path, methods=("predict",), fmt="joblib"):
    """Outputs of ``model`` saved, then reloaded in a new Python process.

    ``methods`` names the methods to call on ``X``, or maps each to its
    keyword arguments; ``fmt`` is "joblib" or "skprecmed" (the safe format).
    Returns
    ``(outputs, imported)``: a dict method -> array, and the set of
    {"tensorflow", "keras"} the new process had imported by the end.
    """
    if fmt == "joblib":
        path = tmp_path / "model.joblib"
        joblib.dump(model, path)
        load = f"joblib.load({str(path)!r})"
    else:
        from skprecmed import save_model

        path = tmp_path / "model.skprecmed"
        save_model(model, path)
        load = f"skprecmed.load_model({str(path)!r})"
    if not isinstance(methods, dict):
        methods = {name: {} for name in methods}
    joblib.dump(X, tmp_path / "X.joblib")
    code = textwrap.dedent(
        f"""
        import sys, joblib, numpy as np, skprecmed
        model = {load}
        X = joblib.load({str(tmp_path / "X.joblib")!r})
        for name, kwargs in {methods!r}.items():
            out = getattr(model, name)(X, **kwargs)
            np.save({str(tmp_path)!r} + "/" + name + ".npy", out)
        print(" ".join(m for m in ("tensorflow", "keras") if m in sys.modules))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    outputs = {name: np.load(tmp_path / f"{name}.npy") for name in methods}
    return outputs, set(done.stdout.split())


def assert_same_search_with_n_jobs(make_search, X, y, n_jobs=(1, 2)):
    """A search gives the same results, to the bit, with any number of jobs."""
    searches = [make_search(n).fit(X, y) for n in n_jobs]
    first = searches[0]
    for other in searches[1:]:
        assert other.best_params_ == first.best_params_
        np.testing.assert_array_equal(
            other.cv_results_["mean_test_score"], first.cv_results_["mean_test_score"]
        )
    return first
