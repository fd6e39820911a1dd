"""The package as a user meets it: a light import and a quiet TensorFlow."""

import os
import subprocess
import sys
import textwrap

import skprecmed


def _run(code):
    """``code`` in a fresh Python, as a user's first run: no log level set.

    (Importing JAX sets ``TF_CPP_MIN_LOG_LEVEL=1`` if unset, and Keras
    imports JAX whenever it is installed: a test process may carry it.)
    """
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )


def test_public_api():
    assert skprecmed.__all__ == [
        "KerasNetClassifier",
        "KerasNetRegressor",
        "KerasNetSurvivalAnalysis",
        "KerasNetDiscreteTimeSurvivalAnalysis",
        "KerasNetCompetingRisks",
        "recommend_treatment",
        "save_model",
        "load_model",
        "read_metadata",
        "ModelVersionWarning",
        "ModelFileError",
        "plot_learning_curve",
        "SequenceEncoder",
        "DenseBranch",
        "EmbeddingBranch",
        "SequenceBranch",
        "ImageBranch",
        "feature_attributions",
        "clear_trainer_cache",
        "set_trainer_cache_size",
        "ConformalClassifier",
        "ConformalRegressor",
        "performance_intervals",
        "survival_calibration",
        "plot_survival_calibration",
        "plot_subgroup_coverage",
        "bootstrap_fit",
        "survival_intervals",
        "ConformalSurvival",
        "plot_survival_intervals",
        "classification_calibration",
        "plot_calibration",
        "register_onnx_converters",
        "__version__",
    ]
    assert skprecmed.__version__
    for name in skprecmed.__all__:  # every name resolves
        assert getattr(skprecmed, name) is not None
    assert issubclass(skprecmed.ModelFileError, ValueError)


def test_import_and_estimator_construction_do_not_import_tensorflow():
    out = _run(
        """
        import sys
        import skprecmed
        from sklearn.model_selection import ParameterGrid
        clf = skprecmed.KerasNetClassifier(hidden_layer_sizes=(8,))
        grid = list(ParameterGrid({"epochs": [1, 2]}))
        heavy = ("tensorflow", "keras", "scikeras")
        print(sorted(m for m in heavy if m in sys.modules))
        """
    )
    assert out.stdout.strip() == "[]"


def test_training_prints_nothing_on_stderr():
    # a survival fit first: its loss module is imported before any network
    # is built, and must start TensorFlow quietly too
    out = _run(
        """
        import numpy as np
        from sksurv.util import Surv
        from skprecmed import KerasNetClassifier, KerasNetSurvivalAnalysis
        rng = np.random.RandomState(0)
        X = rng.normal(size=(60, 4))
        times = Surv.from_arrays(rng.uniform(size=60) < 0.7, rng.uniform(size=60) + 0.1)
        KerasNetSurvivalAnalysis(epochs=1).fit(X, times)
        y = (X[:, 0] > 0).astype(int)
        for seed in range(7):  # many models: no retracing warnings either
            clf = KerasNetClassifier(epochs=2, random_state=seed).fit(X, y)
            clf.predict_proba(X[: seed + 1])
        print(clf.score(X, y) > 0.5)
        """
    )
    assert out.stdout.strip() == "True"
    assert out.stderr == ""


def test_quieting_tensorflow_can_be_switched_off():
    code = """
        import os, sys
        from skprecmed._keras import import_keras
        import_keras()
        print(os.environ.get("TF_CPP_MIN_LOG_LEVEL"))
        """
    quiet = _run(code)
    assert quiet.stdout.strip() == "2" and "oneDNN" not in quiet.stderr
    env = {**os.environ, "SKPRECMED_QUIET_TENSORFLOW": "0"}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    loud = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    # untouched environment, and TensorFlow's own start-up lines reach stderr
    assert loud.stdout.strip() == "None" and "oneDNN" in loud.stderr


def test_import_is_lazy_until_an_estimator_is_used():
    out = _run(
        """
        import sys
        import skprecmed
        before = "sklearn" in sys.modules
        skprecmed.KerasNetClassifier
        print(before, "sklearn" in sys.modules, "KerasNetClassifier" in dir(skprecmed))
        """
    )
    assert out.stdout.split() == ["False", "True", "True"]


def test_scikeras_is_used_only_through_its_public_api():
    """No skprecmed module subclasses a scikeras class or names a private one."""
    import ast
    from pathlib import Path

    for path in Path(skprecmed.__file__).parent.rglob("*.py"):
        tree = ast.parse(path.read_text())
        from_scikeras = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                assert not any(a.name.startswith("scikeras") for a in node.names)
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "scikeras"
            ):
                assert node.module == "scikeras.utils.transformers", path.name
                for alias in node.names:
                    assert not alias.name.startswith("_"), (path.name, alias.name)
                    from_scikeras.add(alias.asname or alias.name)
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases = {ast.unparse(base) for base in node.bases}
                assert not bases & from_scikeras, (path.name, node.name)
