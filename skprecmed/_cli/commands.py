"""``skprecmed train | predict | evaluate | info``: models from data files.

Every model file is in the safe format (:mod:`skprecmed._model_file`); every
other file goes through :func:`skprecmed._atomic.atomic_write`, and no command
writes over one of its inputs. Problems with the user's files raise
:class:`~.tables.CommandError`, which the command line prints as one line.
"""

import json
import sys
from pathlib import Path

import numpy as np

from .tables import (
    CommandError,
    check_columns,
    check_numeric_columns,
    check_output,
    is_identifier,
    outcome,
    read_table,
)

#: levels of a categorical column seen in fewer training rows are pooled
MIN_LEVEL_COUNT = 5
#: most one-hot columns made from one categorical column
MAX_LEVELS = 20


def _task(y, task):
    if task != "auto":
        return task
    if y.dtype.names:
        return "survival"
    if y.dtype.kind in "OUSb" or (y.dtype.kind in "iu" and len(np.unique(y)) <= 10):
        return "classify"
    return "regress"


def _preprocessor(X):
    """Impute and scale numbers, impute and one-hot encode the rest, by name.

    The one-hot output is dense, as the networks need. Levels seen in fewer
    than ``MIN_LEVEL_COUNT`` (5) training rows are pooled into one
    "infrequent" column, and one categorical column gives at most
    ``MAX_LEVELS`` (20) columns (its most frequent levels, the rest pooled).
    Five rows is about the fewest from which a level's own weight learns more
    than noise, and 20 columns keep a 40-site column from outweighing a
    typical clinical table's measurements; an identifier (a distinct value in
    every row) becomes a single constant column instead of one input per
    patient, which could only teach the network to memorise patients. A level
    unseen in training goes to the infrequent column (or none, when training
    had no infrequent level).
    """
    from sklearn.compose import make_column_transformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numbers = X.select_dtypes(include="number").columns.tolist()
    others = [c for c in X.columns if c not in numbers]
    encoder = OneHotEncoder(
        sparse_output=False,
        handle_unknown="infrequent_if_exist",
        min_frequency=MIN_LEVEL_COUNT,
        max_categories=MAX_LEVELS,
    )
    return make_column_transformer(
        (make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numbers),
        (make_pipeline(SimpleImputer(strategy="most_frequent"), encoder), others),
    )


def _progress_bar(epochs):
    """A Keras callback drawing one progress line on stderr.

    Its ``end_line`` method ends the line when training stops early (an
    interruption), so that the next message starts on a line of its own.
    """
    from .._keras import import_keras

    _, keras = import_keras()

    class ProgressBar(keras.callbacks.Callback):
        line_open = False

        def on_epoch_end(self, epoch, logs=None):
            done = int(30 * (epoch + 1) / epochs)
            loss = (logs or {}).get("loss", float("nan"))
            bar = f"[{'#' * done}{'.' * (30 - done)}]"
            # open before printing: Ctrl-C may land inside print
            self.line_open = True
            print(
                f"\r{bar} epoch {epoch + 1}/{epochs} loss {loss:.4f}",
                end="",
                file=sys.stderr,
                flush=True,
            )

        def on_train_end(self, logs=None):
            self.end_line()

        def end_line(self):
            if self.line_open:
                print(file=sys.stderr, flush=True)
                self.line_open = False

    return ProgressBar()


def _note_identifiers(X):
    for name in X.columns:
        if is_identifier(X[name]):
            print(
                f"note: column {name!r} has a distinct value in every row (an "
                "identifier?); it is pooled into one column and carries no "
                "information",
                file=sys.stderr,
            )


def _model(task, params):
    """The estimator to put in the pipeline, and the network inside it."""
    from .. import KerasNetClassifier, KerasNetRegressor, KerasNetSurvivalAnalysis

    if task == "classify":
        network = KerasNetClassifier(**params)
        return network, network
    if task == "regress":
        from sklearn.compose import TransformedTargetRegressor
        from sklearn.preprocessing import StandardScaler

        network = KerasNetRegressor(**params)
        return TransformedTargetRegressor(
            network, transformer=StandardScaler()
        ), network
    network = KerasNetSurvivalAnalysis(batch_size=256, **params)
    return network, network


def train(
    data,
    output,
    *,
    target=None,
    event=None,
    time=None,
    event_value=None,
    task="auto",
    epochs=30,
    hidden=(32,),
    seed=0,
):
    """Train a model on a data file and write it in the safe format.

    Parameters
    ----------
    data : str or path-like
        CSV or Parquet file of patients.
    output : str or path-like
        The model file to write; never ``data``.
    target, event, time, event_value : str, default=None
        The outcome (see :func:`~.tables.outcome`).
    task : {"auto", "classify", "regress", "survival"}, default="auto"
    epochs : int, default=30
    hidden : tuple of int, default=(32,)
    seed : int, default=0

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        The fitted preprocessing and model.
    """
    from sklearn.pipeline import Pipeline

    from .._model_file import save_model

    check_output(output, [data])
    frame = read_table(data)
    y, target_columns = outcome(frame, data, target, event, time, event_value)
    X = frame.drop(columns=target_columns)
    if X.shape[1] == 0:
        raise CommandError(f"{data}: no feature columns besides the outcome.")
    check_numeric_columns(X, data)
    task = _task(y, task)
    params = {"hidden_layer_sizes": hidden, "epochs": epochs, "random_state": seed}
    model, network = _model(task, params)
    if task == "regress":
        y = y.astype(float)
    pipe = Pipeline([("preprocess", _preprocessor(X)), ("model", model)])
    _note_identifiers(X)
    bar = _progress_bar(epochs)
    network.set_params(callbacks=[bar])
    print(
        f"training a {task} model on {len(X)} rows x {X.shape[1]} features",
        file=sys.stderr,
    )
    try:
        pipe.fit(X, y)
    finally:
        bar.end_line()
        network.set_params(callbacks=None)
    if task == "regress":
        pipe[-1].regressor_.set_params(callbacks=None)
    save_model(pipe, output, X=X)
    print(f"wrote {output}", file=sys.stderr)
    return pipe


def _read_model_file(function, model_path):
    """``skprecmed._model_file.<function>(model_path)``.

    The missing file is reported before importing skops; every damaged or
    hostile file raises :class:`~skprecmed.ModelFileError`, a ``ValueError``
    that the command line prints as one line.
    """
    if not Path(model_path).exists():
        raise CommandError(f"{model_path}: no such file.")
    from .. import _model_file

    return getattr(_model_file, function)(model_path)


def _load(model_path):
    return _read_model_file("load_model", model_path)


def _features(model, frame, path):
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        check_columns(frame, list(names), path)
        frame = frame[list(names)]  # aligned by name, extra columns ignored
    check_numeric_columns(frame, path)
    return frame


def _predictions(model, X):
    import pandas as pd

    if hasattr(model, "predict_proba"):
        proba = model.predict_proba(X)
        result = pd.DataFrame(proba, columns=[f"proba_{c}" for c in model.classes_])
        result["predicted"] = model.classes_[np.argmax(proba, axis=1)]
        return result
    if hasattr(model, "predict_survival_function"):
        return pd.DataFrame({"risk": model.predict(X)})
    return pd.DataFrame({"prediction": model.predict(X)})


def predict(model_path, data, output=None):
    """Predictions for a data file, as a CSV (file or standard output).

    Parameters
    ----------
    model_path : str or path-like
        A model file.
    data : str or path-like
        CSV or Parquet file of patients.
    output : str or path-like, default=None
        The CSV to write, atomically; ``None`` or ``"-"``: standard output.
        Never one of the inputs.

    Returns
    -------
    predictions : pandas.DataFrame
        One row per patient.
    """
    from .._atomic import atomic_write

    check_output(output, [model_path, data])
    model = _load(model_path)
    frame = read_table(data)
    result = _predictions(model, _features(model, frame, data))
    if output is None or str(output) == "-":
        result.to_csv(sys.stdout, index=False)
    else:
        with atomic_write(output, "w", newline="") as f:
            result.to_csv(f, index=False)
    return result


def evaluate(model_path, data, *, target=None, event=None, time=None, event_value=None):
    """Metrics of a model on a labelled data file; returns them as a dict."""
    from sklearn import metrics

    model = _load(model_path)
    frame = read_table(data)
    y, _ = outcome(frame, data, target, event, time, event_value)
    X = _features(model, frame, data)
    results = {"n": len(X)}
    if hasattr(model, "predict_survival_function"):
        results["n_events"] = int(y[y.dtype.names[0]].sum())
        results["c_index"] = model.score(X, y)
    elif hasattr(model, "predict_proba"):
        results.update(_classification_metrics(model, X, y, data))
    else:
        pred = model.predict(X)
        results["r2"] = metrics.r2_score(y, pred)
        results["mae"] = metrics.mean_absolute_error(y, pred)
        results["rmse"] = float(np.sqrt(metrics.mean_squared_error(y, pred)))
    _print_metrics(results, model.classes_[1] if "calibration" in results else None)
    return results


def _classification_metrics(model, X, y, data):
    from sklearn import metrics

    proba = model.predict_proba(X)
    classes = list(model.classes_)
    unknown = set(np.unique(y).tolist()) - set(classes)
    if unknown:
        raise CommandError(
            f"{data}: labels {sorted(unknown)} were not seen in training."
        )
    results = {
        "accuracy": metrics.accuracy_score(y, np.asarray(classes)[proba.argmax(1)]),
        "log_loss": metrics.log_loss(y, proba, labels=classes),
    }
    if len(classes) == 2:
        positive = y == classes[1]
        results["roc_auc"] = metrics.roc_auc_score(positive, proba[:, 1])
        results["brier"] = metrics.brier_score_loss(positive, proba[:, 1])
        results["calibration"] = _calibration_table(positive, proba[:, 1])
    else:
        results["roc_auc_ovr"] = metrics.roc_auc_score(
            y, proba, multi_class="ovr", labels=classes
        )
    return results


def _calibration_table(positive, proba, n_bins=10):
    from sklearn.calibration import calibration_curve

    observed, predicted = calibration_curve(
        positive, proba, n_bins=n_bins, strategy="quantile"
    )
    edges = np.quantile(proba, np.linspace(0, 1, n_bins + 1))
    counts = np.histogram(proba, bins=np.unique(edges))[0]
    return [
        {"mean_predicted": float(p), "observed": float(o), "n": int(n)}
        for p, o, n in zip(predicted, observed, counts, strict=False)
    ]


def _print_metrics(results, positive):
    for key, value in results.items():
        if key != "calibration":
            print(
                f"{key:12} {value:.4f}"
                if isinstance(value, float)
                else f"{key:12} {value}"
            )
    if "calibration" in results:
        print(f"calibration (positive class {positive!r}, 10 quantile bins):")
        print("  mean predicted   observed      n")
        for row in results["calibration"]:
            print(
                f"  {row['mean_predicted']:14.3f} {row['observed']:10.3f} {row['n']:6d}"
            )


def info(model_path):
    """Print a model file's metadata without loading the model."""
    metadata = _read_model_file("read_metadata", model_path)
    print(json.dumps(metadata, indent=2))
    return metadata
