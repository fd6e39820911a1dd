"""``skprecmed train | predict | evaluate | info``: models from data files.

Every model file is in the safe format (:mod:`skprecmed._model_file`).
Problems with the user's files raise :class:`CommandError`, which the command
line prints as one line.
"""

import json
import sys
from pathlib import Path

import numpy as np


class CommandError(ValueError):
    """A problem with the user's input, reported as one line."""


def read_table(path):
    """A CSV or Parquet file as a DataFrame, with clear errors."""
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise CommandError(f"{path}: no such file.")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            frame = pd.read_csv(path)
        elif suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        else:
            raise CommandError(f"{path}: expected a .csv or .parquet file.")
    except pd.errors.EmptyDataError as exc:
        raise CommandError(f"{path}: the file is empty.") from exc
    except pd.errors.ParserError as exc:
        raise CommandError(f"{path}: not a readable CSV file ({exc}).") from exc
    except ImportError as exc:
        raise CommandError(f"{path}: reading Parquet needs pyarrow ({exc}).") from exc
    if frame.empty:
        raise CommandError(f"{path}: the file has no rows.")
    return frame


def _columns(frame, names, path):
    missing = [name for name in names if name not in frame.columns]
    if missing:
        raise CommandError(
            f"{path}: missing column(s) {missing}; the file has {list(frame.columns)}."
        )


def _targets(frame, path, target, event, time):
    """The target of the task and the names of the target columns."""
    if (event is None) != (time is None):
        raise CommandError("survival needs both --event and --time.")
    if event is not None:
        from sksurv.util import Surv

        _columns(frame, [event, time], path)
        try:
            y = Surv.from_arrays(frame[event].astype(bool), frame[time].astype(float))
        except (ValueError, TypeError) as exc:
            raise CommandError(f"{path}: bad survival columns: {exc}") from exc
        return y, [event, time]
    if target is None:
        raise CommandError("name the outcome: --target COLUMN, or --event and --time.")
    _columns(frame, [target], path)
    return frame[target].to_numpy(), [target]


def _task(y, task):
    if task != "auto":
        return task
    if y.dtype.names:
        return "survival"
    if y.dtype.kind in "OUSb" or (y.dtype.kind in "iu" and len(np.unique(y)) <= 10):
        return "classify"
    return "regress"


def _preprocessor(X):
    """Impute and scale numbers, impute and one-hot encode the rest, by name."""
    from sklearn.compose import make_column_transformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numbers = X.select_dtypes(include="number").columns.tolist()
    others = [c for c in X.columns if c not in numbers]
    return make_column_transformer(
        (make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numbers),
        (
            make_pipeline(
                SimpleImputer(strategy="most_frequent"),
                OneHotEncoder(handle_unknown="ignore"),
            ),
            others,
        ),
    )


def _progress_bar(epochs):
    """A Keras callback drawing one progress line on stderr."""
    from .._keras import import_keras

    _, keras = import_keras()

    class ProgressBar(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            done = int(30 * (epoch + 1) / epochs)
            loss = (logs or {}).get("loss", float("nan"))
            print(
                f"\r[{'#' * done}{'.' * (30 - done)}] epoch {epoch + 1}/{epochs} loss {loss:.4f}",
                end="",
                file=sys.stderr,
                flush=True,
            )

        def on_train_end(self, logs=None):
            print(file=sys.stderr, flush=True)

    return ProgressBar()


def train(data, output, *, target=None, event=None, time=None, task="auto", epochs=30,
          hidden=(32,), seed=0):
    """Train a model on a data file and write it in the safe format."""
    from sklearn.pipeline import Pipeline

    from .. import KerasNetClassifier, KerasNetRegressor
    from .._model_file import save_model

    frame = read_table(data)
    y, target_columns = _targets(frame, data, target, event, time)
    X = frame.drop(columns=target_columns)
    if X.shape[1] == 0:
        raise CommandError(f"{data}: no feature columns besides the outcome.")
    task = _task(y, task)
    params = {"hidden_layer_sizes": hidden, "epochs": epochs, "random_state": seed}
    if task == "classify":
        network = KerasNetClassifier(**params)
        model = network
    elif task == "regress":
        from sklearn.compose import TransformedTargetRegressor
        from sklearn.preprocessing import StandardScaler

        network = KerasNetRegressor(**params)
        model = TransformedTargetRegressor(network, transformer=StandardScaler())
        y = y.astype(float)
    else:
        from .. import KerasNetSurvivalAnalysis

        network = KerasNetSurvivalAnalysis(batch_size=256, **params)
        model = network
    pipe = Pipeline([("preprocess", _preprocessor(X)), ("model", model)])
    network.set_params(callbacks=[_progress_bar(epochs)])
    print(f"training a {task} model on {len(X)} rows x {X.shape[1]} features", file=sys.stderr)
    try:
        pipe.fit(X, y)
    finally:
        network.set_params(callbacks=None)
    if task == "regress":
        pipe[-1].regressor_.set_params(callbacks=None)
    save_model(pipe, output, X=X)
    print(f"wrote {output}", file=sys.stderr)
    return pipe


def _load(model_path):
    from .._model_file import load_model

    if not Path(model_path).exists():
        raise CommandError(f"{model_path}: no such file.")
    return load_model(model_path)


def _features(model, frame, path):
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        return frame
    _columns(frame, list(names), path)
    return frame[list(names)]  # aligned by name, extra columns ignored


def predict(model_path, data, output=None):
    """Predictions for a data file, as a CSV (file or standard output)."""
    import pandas as pd

    model = _load(model_path)
    frame = read_table(data)
    X = _features(model, frame, data)
    if hasattr(model, "predict_proba"):
        proba = model.predict_proba(X)
        result = pd.DataFrame(proba, columns=[f"proba_{c}" for c in model.classes_])
        result["predicted"] = model.classes_[np.argmax(proba, axis=1)]
    elif hasattr(model, "predict_survival_function"):
        result = pd.DataFrame({"risk": model.predict(X)})
    else:
        result = pd.DataFrame({"prediction": model.predict(X)})
    result.to_csv(output if output else sys.stdout, index=False)
    return result


def evaluate(model_path, data, *, target=None, event=None, time=None):
    """Metrics of a model on a labelled data file; returns them as a dict."""
    from sklearn import metrics

    model = _load(model_path)
    frame = read_table(data)
    y, _ = _targets(frame, data, target, event, time)
    X = _features(model, frame, data)
    results = {"n": len(X)}
    if hasattr(model, "predict_survival_function"):
        results["c_index"] = model.score(X, y)
    elif hasattr(model, "predict_proba"):
        proba = model.predict_proba(X)
        classes = list(model.classes_)
        unknown = set(np.unique(y).tolist()) - set(classes)
        if unknown:
            raise CommandError(f"{data}: labels {sorted(unknown)} were not seen in training.")
        results["accuracy"] = metrics.accuracy_score(y, np.asarray(classes)[proba.argmax(1)])
        results["log_loss"] = metrics.log_loss(y, proba, labels=classes)
        if len(classes) == 2:
            positive = y == classes[1]
            results["roc_auc"] = metrics.roc_auc_score(positive, proba[:, 1])
            results["brier"] = metrics.brier_score_loss(positive, proba[:, 1])
            results["calibration"] = _calibration_table(positive, proba[:, 1])
        else:
            results["roc_auc_ovr"] = metrics.roc_auc_score(y, proba, multi_class="ovr", labels=classes)
    else:
        pred = model.predict(X)
        results["r2"] = metrics.r2_score(y, pred)
        results["mae"] = metrics.mean_absolute_error(y, pred)
        results["rmse"] = float(np.sqrt(metrics.mean_squared_error(y, pred)))
    _print_metrics(results, model.classes_[1] if "calibration" in results else None)
    return results


def _calibration_table(positive, proba, n_bins=10):
    from sklearn.calibration import calibration_curve

    observed, predicted = calibration_curve(positive, proba, n_bins=n_bins, strategy="quantile")
    edges = np.quantile(proba, np.linspace(0, 1, n_bins + 1))
    counts = np.histogram(proba, bins=np.unique(edges))[0]
    return [
        {"mean_predicted": float(p), "observed": float(o), "n": int(n)}
        for p, o, n in zip(predicted, observed, counts)
    ]


def _print_metrics(results, positive):
    for key, value in results.items():
        if key != "calibration":
            print(f"{key:12} {value:.4f}" if isinstance(value, float) else f"{key:12} {value}")
    if "calibration" in results:
        print(f"calibration (positive class {positive!r}, 10 quantile bins):")
        print("  mean predicted   observed      n")
        for row in results["calibration"]:
            print(f"  {row['mean_predicted']:14.3f} {row['observed']:10.3f} {row['n']:6d}")


def info(model_path):
    """Print a model file's metadata without loading the model."""
    from .._model_file import read_metadata

    if not Path(model_path).exists():
        raise CommandError(f"{model_path}: no such file.")
    metadata = read_metadata(model_path)
    print(json.dumps(metadata, indent=2))
    return metadata
