"""skprecmed's defaults against the classic models, on the same folds.

The protocol of issue #11, on the cohorts that ship with scikit-learn and
scikit-survival: 5x5 repeated cross-validation with seed 0 (stratified on
the class, or on the event for survival), every model behind the same
preprocessing (one-hot encoding of categories, standardisation)::

    python benchmarks/bench_accuracy.py            # everything (~20 min, 2 cores)
    python benchmarks/bench_accuracy.py --quick    # 2x3 folds, to try it out

Contestants: ``skprecmed`` (defaults, ``random_state=0``), ``ensemble``
(defaults with ``ensemble_size=5``), and the classic models: logistic
regression, RidgeCV, CoxPH (scikit-survival; ridge Cox with the penalty
chosen by an inner 3-fold search on the 80-gene set), a random survival
forest, and for survival also skprecmed's discrete-time network, alone and
as an ensemble of five (issue #14; both checked first on other cohorts,
``bench_discrete_dev.py``). Nothing here was tuned on these folds: the
skprecmed rows are the defaults.

Prints mean (sd over the 25 folds) of each metric, the goals of issues #11
and #14 with met/NO and the margin, and the fit time of one network against an
ensemble of five. Folds run in two processes (one TensorFlow thread each).
"""

import argparse
import os
import time
import warnings

os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")

import numpy as np  # noqa: E402
from joblib import Parallel, delayed  # noqa: E402
from sklearn.compose import make_column_selector, make_column_transformer  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_diabetes  # noqa: E402
from sklearn.model_selection import (  # noqa: E402
    GridSearchCV,
    RepeatedKFold,
    RepeatedStratifiedKFold,
)
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: E402

SEED = 0


# ------------------------------------------------------------------ data
def _survival(loader):
    def load():
        X, y = loader()
        return X, y, y[y.dtype.names[0]]  # stratify on the event

    return load


def _cancer():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    return X, y.to_numpy(), y.to_numpy()


def _diabetes():
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    return X, y.to_numpy(), None


def _prep():
    return make_column_transformer(
        (
            OneHotEncoder(
                drop="if_binary", handle_unknown="ignore", sparse_output=False
            ),
            make_column_selector(dtype_include=["category", "object"]),
        ),
        (StandardScaler(), make_column_selector(dtype_include="number")),
    )


# ------------------------------------------------------------ contestants
def _contestants(task):
    from sklearn.linear_model import LogisticRegression, RidgeCV

    from skprecmed import (
        KerasNetClassifier,
        KerasNetDiscreteTimeSurvivalAnalysis,
        KerasNetRegressor,
        KerasNetSurvivalAnalysis,
    )

    if task == "classify":
        return {
            "skprecmed": lambda: KerasNetClassifier(random_state=SEED),
            "ensemble": lambda: KerasNetClassifier(ensemble_size=5, random_state=SEED),
            "LogisticRegression": lambda: LogisticRegression(max_iter=5000),
        }
    if task == "regress":
        return {
            "skprecmed": lambda: KerasNetRegressor(random_state=SEED),
            "ensemble": lambda: KerasNetRegressor(ensemble_size=5, random_state=SEED),
            "RidgeCV": lambda: RidgeCV(alphas=np.logspace(-3, 3, 13)),
        }
    from sksurv.ensemble import RandomSurvivalForest
    from sksurv.linear_model import CoxPHSurvivalAnalysis

    cox_name = "ridge Cox" if task == "genes" else "CoxPH"

    def cox():
        if task == "genes":  # 80 genes + clinical for 198 patients: penalise
            return GridSearchCV(
                CoxPHSurvivalAnalysis(), {"alpha": [0.1, 1, 10, 100]}, cv=3
            )
        return CoxPHSurvivalAnalysis(alpha=1e-4)  # one-hot columns: tiny ridge

    return {
        "skprecmed": lambda: KerasNetSurvivalAnalysis(random_state=SEED),
        "ensemble": lambda: KerasNetSurvivalAnalysis(
            ensemble_size=5, random_state=SEED
        ),
        "discrete-time": lambda: KerasNetDiscreteTimeSurvivalAnalysis(
            random_state=SEED
        ),
        "discrete ensemble": lambda: KerasNetDiscreteTimeSurvivalAnalysis(
            ensemble_size=5, random_state=SEED
        ),
        cox_name: cox,
        "RSF": lambda: RandomSurvivalForest(
            n_estimators=200, min_samples_leaf=10, random_state=SEED, n_jobs=1
        ),
    }


# ----------------------------------------------------------------- metrics
def _scores(task, model, X_test, y_train, y_test):
    from sklearn import metrics

    if task == "classify":
        proba = model.predict_proba(X_test)[:, 1]
        return {
            "AUC": metrics.roc_auc_score(y_test, proba),
            "log loss": metrics.log_loss(y_test, proba),
            "Brier": metrics.brier_score_loss(y_test, proba),
        }
    if task == "regress":
        pred = model.predict(X_test)
        return {
            "R2": metrics.r2_score(y_test, pred),
            "MAE": metrics.mean_absolute_error(y_test, pred),
        }
    from sksurv.metrics import (
        concordance_index_censored,
        concordance_index_ipcw,
        integrated_brier_score,
    )

    event, time_ = y_test.dtype.names
    risk = model.predict(X_test)
    harrell = concordance_index_censored(y_test[event], y_test[time_], risk)[0]
    # evaluation times inside every model's range: 10th to 80th percentile
    # of the test times, before the last training event (where the
    # discrete-time grid and Breslow's baseline end)
    last_event = y_train[time_][y_train[event]].max()
    lo, hi = np.percentile(y_test[time_], [10, 80])
    times = np.unique(np.linspace(lo, min(hi, last_event * 0.999), 20))
    uno = concordance_index_ipcw(y_train, y_test, risk, tau=times[-1])[0]
    # the censoring distribution is estimated on the training fold: the
    # Brier score needs test times inside its range
    inside = y_test[time_] < y_train[time_].max()
    functions = model.predict_survival_function(X_test[inside])
    survival = np.vstack([fn(times) for fn in functions])
    ibs = integrated_brier_score(y_train, y_test[inside], survival, times)
    return {"Harrell C": harrell, "Uno C": uno, "IBS": ibs}


def _one_fold(task, name, make, X, y, train, test):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = make_pipeline(_prep(), make())
        start = time.perf_counter()
        model.fit(X.iloc[train], y[train])
        seconds = time.perf_counter() - start
        final = model.steps[-1][1]
        if isinstance(final, GridSearchCV):  # score the refitted best model
            model.steps[-1] = (model.steps[-1][0], final.best_estimator_)
        scores = _scores(task, model, X.iloc[test], y[train], y[test])
    return name, scores, seconds


DATASETS = {
    "breast cancer (569x30)": ("classify", _cancer),
    "diabetes (442x10)": ("regress", _diabetes),
    "WHAS500": ("survival", None),
    "GBSG2": ("survival", None),
    "sksurv breast_cancer (80 genes)": ("genes", None),
}

#: (dataset, metric, skprecmed row must be >= (or <=) this contestant or value)
GOALS = [
    ("breast cancer (569x30)", "AUC", ">=", "LogisticRegression"),
    ("breast cancer (569x30)", "log loss", "<=", "LogisticRegression"),
    ("diabetes (442x10)", "R2", ">=", 0.49),
    ("WHAS500", "Harrell C", ">=", "CoxPH"),
    ("GBSG2", "Harrell C", ">=", 0.69),
    ("sksurv breast_cancer (80 genes)", "Harrell C", ">=", 0.68),
    ("WHAS500", "IBS", "<=", "CoxPH"),
    ("GBSG2", "IBS", "<=", "CoxPH"),
]
#: issue #14: the discrete-time network's integrated Brier score
DISCRETE_GOALS = [
    ("WHAS500", "IBS", "<=", "CoxPH"),
    ("GBSG2", "IBS", "<=", "CoxPH"),
]


def _load(name):
    from sksurv.datasets import load_breast_cancer as load_genes
    from sksurv.datasets import load_gbsg2, load_whas500

    loaders = {
        "breast cancer (569x30)": _cancer,
        "diabetes (442x10)": _diabetes,
        "WHAS500": _survival(load_whas500),
        "GBSG2": _survival(load_gbsg2),
        "sksurv breast_cancer (80 genes)": _survival(load_genes),
    }
    return loaders[name]()


def run(n_splits, n_repeats, only=None):
    results = {}
    for dataset, (task, _) in DATASETS.items():
        if only and only not in dataset.lower() and only != task:
            continue
        X, y, strata = _load(dataset)
        if strata is None:
            cv = RepeatedKFold(
                n_splits=n_splits, n_repeats=n_repeats, random_state=SEED
            )
        else:
            cv = RepeatedStratifiedKFold(
                n_splits=n_splits, n_repeats=n_repeats, random_state=SEED
            )
        folds = list(cv.split(X, strata))
        contestants = _contestants(task)
        start = time.perf_counter()
        done = Parallel(n_jobs=2)(
            delayed(_one_fold)(task, name, make, X, y, train, test)
            for train, test in folds
            for name, make in contestants.items()
        )
        table = {}
        for name, scores, seconds in done:
            row = table.setdefault(name, {"seconds": []})
            for metric, value in scores.items():
                row.setdefault(metric, []).append(value)
            row["seconds"].append(seconds)
        results[dataset] = table
        print(
            f"\n## {dataset}: {len(folds)} folds ({time.perf_counter() - start:.0f} s)"
        )
        metrics = [m for m in next(iter(table.values())) if m != "seconds"]
        print(f"{'model':22}" + "".join(f"{m:>18}" for m in metrics) + f"{'fit s':>9}")
        for name, row in table.items():
            cells = "".join(
                f"{np.mean(row[m]):>11.3f} ({np.std(row[m]):.3f})" for m in metrics
            )
            print(f"{name:22}{cells}{np.mean(row['seconds']):>9.2f}")
    return results


def goals(results):
    print("\n## Goals of issues #11 and #14 (mean over folds; sd in brackets above)")
    print(
        f"{'dataset':34}{'metric':11}{'row':18}{'ours':>8}{'goal':>20}{'met':>6}{'margin':>9}"
    )
    checks = [(goal, ("skprecmed", "ensemble")) for goal in GOALS] + [
        (goal, ("discrete-time", "discrete ensemble")) for goal in DISCRETE_GOALS
    ]
    for (dataset, metric, sense, anchor), rows in checks:
        if dataset not in results:
            continue
        table = results[dataset]
        if isinstance(anchor, str):
            target, label = (
                np.mean(table[anchor][metric]),
                f"{anchor} {np.mean(table[anchor][metric]):.3f}",
            )
        else:
            target, label = anchor, f"{anchor:.3f}"
        for row in rows:
            ours = np.mean(table[row][metric])
            margin = ours - target if sense == ">=" else target - ours
            met = "yes" if margin >= 0 else "NO"
            print(
                f"{dataset:34}{metric:11}{row:18}{ours:>8.3f}{sense + ' ' + label:>20}"
                f"{met:>6}{margin:>+9.3f}"
            )


def ensemble_cost(results):
    print("\n## Fit time: ensemble of five against one network (same folds, same")
    print("## process layout; early stopping may stop them at different epochs)")
    for dataset, table in results.items():
        one, five = (
            np.mean(table["skprecmed"]["seconds"]),
            np.mean(table["ensemble"]["seconds"]),
        )
        met = "yes" if five <= 2 * one else "NO"
        print(
            f"{dataset:34}{one:>7.2f} s {five:>7.2f} s  ratio {five / one:4.2f}"
            f"  <= 2x: {met}"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2x3 folds instead of 5x5")
    parser.add_argument(
        "--only", help="one task (classify, regress, survival, genes) or dataset name"
    )
    args = parser.parse_args()
    n_splits, n_repeats = (3, 2) if args.quick else (5, 5)
    print(
        f"# bench_accuracy: {n_repeats}x{n_splits} folds, seed {SEED}, "
        f"{time.strftime('%Y-%m-%d')}"
    )
    start = time.perf_counter()
    results = run(n_splits, n_repeats, args.only)
    goals(results)
    ensemble_cost(results)
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
