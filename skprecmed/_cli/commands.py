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
    """The network to put at the end of the pipeline."""
    from .. import KerasNetClassifier, KerasNetRegressor, KerasNetSurvivalAnalysis

    if task == "classify":
        return KerasNetClassifier(**params)
    if task == "regress":  # the regressor standardises its target itself
        return KerasNetRegressor(**params)
    return KerasNetSurvivalAnalysis(**params)  # batch_size "auto": 256


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
    id_column=None,
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
    id_column : str, default=None
        A patient identifier: left out of the features.

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
    if id_column is not None:
        check_columns(frame, [id_column], data)
        if id_column in target_columns:
            raise CommandError(f"--id {id_column!r} is also the outcome.")
        target_columns = [*target_columns, id_column]
    X = frame.drop(columns=target_columns)
    if X.shape[1] == 0:
        raise CommandError(f"{data}: no feature columns besides the outcome.")
    check_numeric_columns(X, data)
    task = _task(y, task)
    params = {"hidden_layer_sizes": hidden, "epochs": epochs, "random_state": seed}
    network = _model(task, params)
    if task == "regress":
        y = y.astype(float)
    pipe = Pipeline([("preprocess", _preprocessor(X)), ("model", network)])
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
    save_model(pipe, output, X=X, y=y)
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


def is_survival(model):
    """Whether ``model`` (a fitted estimator or pipeline) predicts survival."""
    return hasattr(model, "predict_survival_function")


def time_label(t):
    """``12.0`` -> ``"12"``, ``0.5`` -> ``"0.5"``: times in column names."""
    return f"{t:g}"


def survival_at(model, X, times, where="--times"):
    """Survival probabilities, one row per patient and one column per time.

    Raises :class:`~.tables.CommandError` for a time outside the model's
    follow-up (the baseline survival is known from 0 to the last training
    time, and nothing can be said past it).
    """
    functions = model.predict_survival_function(X)
    low, high = functions[0].domain
    outside = [t for t in times if not low <= t <= high]
    if outside:
        raise CommandError(
            f"{where} {', '.join(map(time_label, outside))}: outside the model's "
            f"follow-up ({time_label(low)} to {time_label(high)}, the training "
            "times); choose times inside it."
        )
    return np.array([fn(np.asarray(times, dtype=float)) for fn in functions])


def _predictions(model, X, times=None):
    import pandas as pd

    if times and not is_survival(model):
        raise CommandError("--times is for survival models only.")
    if hasattr(model, "predict_proba"):
        proba = model.predict_proba(X)
        result = pd.DataFrame(proba, columns=[f"proba_{c}" for c in model.classes_])
        result["predicted"] = model.classes_[np.argmax(proba, axis=1)]
        return result
    if is_survival(model):
        result = pd.DataFrame({"risk": model.predict(X)})
        if times:
            surv = survival_at(model, X, times)
            for j, t in enumerate(times):
                result[f"survival_at_{time_label(t)}"] = surv[:, j]
        return result
    return pd.DataFrame({"prediction": model.predict(X)})


def _with_id(result, frame, id_column, path):
    if id_column is None:
        return result
    check_columns(frame, [id_column], path)
    result.insert(0, id_column, frame[id_column].to_numpy())
    return result


def predict(model_path, data, output=None, *, id_column=None, times=None):
    """Predictions for a data file, as a CSV (file or standard output).

    A classifier gives ``proba_<class>`` columns and ``predicted``; a
    regressor ``prediction``; a survival model ``risk``, the predicted
    log-hazard ratio relative to the average training patient (0 is that
    patient; +1 is about 2.7 times the hazard: higher, an earlier event), and
    ``survival_at_<t>``, the probability of no event by time ``t``, for each
    of ``times``.

    Parameters
    ----------
    model_path : str or path-like
        A model file.
    data : str or path-like
        CSV or Parquet file of patients.
    output : str or path-like, default=None
        The CSV to write, atomically; ``None`` or ``"-"``: standard output.
        Never one of the inputs.
    id_column : str, default=None
        A column of ``data`` copied as the first output column (never a
        feature).
    times : sequence of float, default=None
        Survival models: the times of the ``survival_at_<t>`` columns.

    Returns
    -------
    predictions : pandas.DataFrame
        One row per patient.
    """
    from .._atomic import atomic_write

    check_output(output, [model_path, data])
    model = _load(model_path)
    frame = read_table(data)
    if id_column is not None:  # before the work, not after
        check_columns(frame, [id_column], data)
    features = _features(model, frame, data)  # selected by name: no ID
    result = _with_id(_predictions(model, features, times), frame, id_column, data)
    if output is None or str(output) == "-":
        result.to_csv(sys.stdout, index=False)
    else:
        with atomic_write(output, "w", newline="") as f:
            result.to_csv(f, index=False)
    return result


def evaluate(
    model_path,
    data,
    *,
    target=None,
    event=None,
    time=None,
    event_value=None,
    threshold=0.5,
    times=None,
):
    """Metrics of a model on a labelled data file, printed and returned.

    Parameters
    ----------
    model_path, data : str or path-like
        A model file and a labelled CSV or Parquet file.
    target, event, time, event_value : str, default=None
        The outcome (see :func:`~.tables.outcome`).
    threshold : float, default=0.5
        Binary classifiers: a patient is called positive (the second class)
        when its probability is at least ``threshold``; sensitivity,
        specificity, PPV and NPV are computed for that call.
    times : sequence of float, default=None
        Survival models: the evaluation times of the time-dependent AUC and
        the Brier score; default the 25th, 50th and 75th percentiles of the
        observed times.

    Returns
    -------
    results : dict
    """
    from sklearn import metrics

    model = _load(model_path)
    frame = read_table(data)
    y, _ = outcome(frame, data, target, event, time, event_value)
    X = _features(model, frame, data)
    results = {"n": len(X)}
    if is_survival(model):
        results.update(_survival_metrics(model, X, y, times))
    elif hasattr(model, "predict_proba"):
        results.update(_classification_metrics(model, X, y, data, threshold))
    else:
        pred = model.predict(X)
        results["r2"] = metrics.r2_score(y, pred)
        results["mae"] = metrics.mean_absolute_error(y, pred)
        results["rmse"] = float(np.sqrt(metrics.mean_squared_error(y, pred)))
    _print_metrics(results, model.classes_[1] if "calibration" in results else None)
    return results


def _evaluation_times(y, times):
    """``times``, checked to lie inside the follow-up, or three quartiles."""
    observed = y[y.dtype.names[1]]
    low, high = float(observed.min()), float(observed.max())
    if not times:
        return sorted({float(t) for t in np.percentile(observed, [25, 50, 75])})
    outside = [t for t in times if not low <= t < high]
    if outside:
        raise CommandError(
            f"--times {', '.join(map(time_label, outside))}: outside the follow-up "
            f"of the evaluation data ({time_label(low)} up to, not including, "
            f"{time_label(high)})."
        )
    return sorted(times)


def _survival_metrics(model, X, y, times):
    """Harrell's and Uno's C, time-dependent AUC and (integrated) Brier score.

    The censoring distribution of the inverse-probability weights is
    estimated from the evaluation data itself (no training data is needed).
    """
    from sksurv.metrics import (
        brier_score,
        concordance_index_ipcw,
        cumulative_dynamic_auc,
        integrated_brier_score,
    )

    times = _evaluation_times(y, times)
    risk = model.predict(X)
    surv = survival_at(model, X, times)
    results = {
        "n_events": int(y[y.dtype.names[0]].sum()),
        "c_index": model.score(X, y),
        "uno_c": float(concordance_index_ipcw(y, y, risk, tau=times[-1])[0]),
    }
    auc, mean_auc = cumulative_dynamic_auc(y, y, risk, times)
    _, brier = brier_score(y, y, surv, times)
    for t, a, b in zip(times, auc, brier, strict=True):
        results[f"auc_at_{time_label(t)}"] = float(a)
        results[f"brier_at_{time_label(t)}"] = float(b)
    results["mean_auc"] = float(mean_auc)
    if len(times) > 1:
        results["integrated_brier"] = float(integrated_brier_score(y, y, surv, times))
    return results


def _threshold_metrics(positive, called):
    """Sensitivity, specificity, PPV and NPV of calls ``called``."""
    tp = int(np.sum(called & positive))
    tn = int(np.sum(~called & ~positive))
    fp = int(np.sum(called & ~positive))
    fn = int(np.sum(~called & positive))

    def ratio(a, b):
        return a / b if b else float("nan")

    return {
        "sensitivity": ratio(tp, tp + fn),
        "specificity": ratio(tn, tn + fp),
        "ppv": ratio(tp, tp + fp),
        "npv": ratio(tn, tn + fn),
    }


def _classification_metrics(model, X, y, data, threshold=0.5):
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
        results["threshold"] = float(threshold)
        results.update(_threshold_metrics(positive, proba[:, 1] >= threshold))
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
    width = max(12, *map(len, results))
    for key, value in results.items():
        if key != "calibration":
            print(
                f"{key:{width}} {value:.4f}"
                if isinstance(value, float)
                else f"{key:{width}} {value}"
            )
    if "calibration" in results:
        print(f"calibration (positive class {positive!r}, 10 quantile bins):")
        print("  mean predicted   observed      n")
        for row in results["calibration"]:
            print(
                f"  {row['mean_predicted']:14.3f} {row['observed']:10.3f} {row['n']:6d}"
            )


def info(model_path, as_json=False):
    """Print a model file's summary, or its whole manifest, without loading it.

    Parameters
    ----------
    model_path : str or path-like
    as_json : bool, default=False
        Print the full ``metadata.json`` instead of the summary.

    Returns
    -------
    metadata : dict
    """
    metadata = _read_model_file("read_metadata", model_path)
    if as_json:
        print(json.dumps(metadata, indent=2))
    else:
        for key, value in summary(metadata).items():
            print(f"{key:12} {value}")
    return metadata


TASKS = {
    "KerasNetClassifier": "classification",
    "KerasMLPClassifier": "classification",
    "KerasNetRegressor": "regression",
    "KerasNetSurvivalAnalysis": "survival",
}
NOT_RECORDED = "not recorded"


def task_of(metadata):
    """``"classification"``, ``"regression"``, ``"survival"`` or the class name."""
    return TASKS.get(metadata["estimator"], metadata["estimator"])


def outputs_of(metadata):
    """The columns ``skprecmed predict`` writes for this model."""
    task = task_of(metadata)
    if task == "classification" and metadata.get("classes"):
        return [f"proba_{c}" for c in metadata["classes"]] + ["predicted"]
    if task == "survival":
        return ["risk", "survival_at_<t> (with --times)"]
    return ["prediction"]


def _listed(names, shown=8):
    names = [str(n) for n in names]
    more = f", ... ({len(names)} in all)" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def training_text(metadata):
    """The training data in words, from what the file records."""
    training = metadata.get("training")
    if not training:
        return NOT_RECORDED
    parts = [f"{training['n_rows']} rows"] if "n_rows" in training else []
    if "class_counts" in training:
        parts.append(
            ", ".join(f"{k}: {v}" for k, v in training["class_counts"].items())
        )
    if "n_events" in training:
        parts.append(f"{training['n_events']} events")
    return "; ".join(parts) or NOT_RECORDED


def summary(metadata):
    """The facts ``skprecmed info`` prints, as an ordered dict of text."""
    names = metadata.get("feature_names")
    n = metadata.get("n_features_in")
    inputs = f"{n} features" if n is not None else NOT_RECORDED
    if names:
        inputs += f": {_listed(names)}"
    return {
        "task": f"{task_of(metadata)} ({metadata['estimator']})",
        "inputs": inputs,
        "outputs": ", ".join(outputs_of(metadata)),
        "classes": _listed(metadata["classes"]) if metadata.get("classes") else "-",
        "training": training_text(metadata),
        "performance": f"{NOT_RECORDED} (skprecmed evaluate on held-out data)",
        "versions": ", ".join(f"{k} {v}" for k, v in metadata["versions"].items()),
        "created": metadata["created"],
    }
