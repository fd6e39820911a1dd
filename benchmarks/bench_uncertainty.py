"""Coverage of 90% conformal sets and intervals on held-out patients, by subgroup.

Prints, for scikit-learn's breast cancer data (prediction sets of the
diagnosis) and diabetes data (prediction intervals of disease progression,
in its own units), the coverage of 90% sets/intervals on held-out patients,
overall and per subgroup, and their mean size/width::

    python benchmarks/bench_uncertainty.py [n_seeds]

Each of ``n_seeds`` (default 20) random splits holds out 25% of the
patients for testing; the rest is 2/3 training, 1/3 calibration. Coverage is
the average over the splits of the held-out coverage (so a method that
keeps its promise shows 0.90 or a little above; the ``sd`` is the spread
between splits), subgroup coverage the same within the subgroup. Subgroups
(each with >= 100 patients in the data): diabetes sex (column 1) and age
(column 0) below/above the median; breast cancer mean radius (column 0)
below/above the median.

* ``skprecmed``: :class:`~skprecmed.ConformalClassifier` (LAC score) /
  :class:`~skprecmed.ConformalRegressor` (absolute residual) around a
  ``KerasNetClassifier`` / ``KerasNetRegressor`` (target standardised by
  ``TransformedTargetRegressor``);
* ``skprecmed Mondrian``: the same, calibrated per radius half / per sex;
* ``MAPIE MLP`` / ``MAPIE linear``: MAPIE 1.x's ``SplitConformalClassifier``
  (LAC) / ``SplitConformalRegressor`` (absolute) around scikit-learn's
  ``MLPClassifier`` / ``MLPRegressor`` and ``LogisticRegression`` /
  ``RidgeCV``, on the same training/calibration sizes.
"""

import platform
import sys
import time
import warnings

import numpy as np
from mapie.classification import SplitConformalClassifier
from mapie.regression import SplitConformalRegressor
from sklearn.compose import (
    TransformedTargetRegressor,
    make_column_selector,
    make_column_transformer,
)
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sksurv.datasets import load_gbsg2, load_whas500
from sksurv.linear_model import CoxPHSurvivalAnalysis

from skprecmed import (
    ConformalClassifier,
    ConformalRegressor,
    ConformalSurvival,
    KerasNetClassifier,
    KerasNetRegressor,
    KerasNetSurvivalAnalysis,
)

COVERAGE = 0.9
NET = {"hidden_layer_sizes": (16,), "learning_rate_init": 0.01, "random_state": 0}


def keras_classifier(seed):
    return make_pipeline(
        StandardScaler(),
        KerasNetClassifier(**{**NET, "epochs": 20, "random_state": seed}),
    )


def keras_regressor(seed):
    return TransformedTargetRegressor(
        make_pipeline(
            StandardScaler(),
            KerasNetRegressor(**{**NET, "epochs": 40, "random_state": seed}),
        ),
        transformer=StandardScaler(),
    )


def mlp_classifier(seed):
    return make_pipeline(
        StandardScaler(),
        MLPClassifier(hidden_layer_sizes=(16,), max_iter=500, random_state=seed),
    )


def mlp_regressor(seed):
    return TransformedTargetRegressor(
        make_pipeline(
            StandardScaler(),
            MLPRegressor(hidden_layer_sizes=(16,), max_iter=1000, random_state=seed),
        ),
        transformer=StandardScaler(),
    )


def linear_classifier(seed):
    return make_pipeline(StandardScaler(), LogisticRegression())


def linear_regressor(seed):
    return make_pipeline(StandardScaler(), RidgeCV())


def classification_runs(seed, X, y, mondrian):
    """Covered (bool) and set size per held-out patient, for each method."""
    X_rest, X_test, y_rest, y_test, g_rest, g_test = train_test_split(
        X, y, mondrian, test_size=0.25, stratify=y, random_state=seed
    )
    X_fit, X_cal, y_fit, y_cal = train_test_split(
        X_rest, y_rest, test_size=1 / 3, stratify=y_rest, random_state=seed
    )
    sets = {}
    for name, groups in (("skprecmed", None), ("skprecmed Mondrian", g_rest)):
        conformal = ConformalClassifier(
            keras_classifier(seed),
            coverage=COVERAGE,
            calibration_size=1 / 3,
            groups=groups,
            random_state=seed,
        ).fit(X_rest, y_rest)
        sets[name] = conformal.predict_set(
            X_test, groups=None if groups is None else g_test
        )
    for name, factory in (
        ("MAPIE MLP", mlp_classifier),
        ("MAPIE linear", linear_classifier),
    ):
        mapie = SplitConformalClassifier(
            factory(seed),
            confidence_level=COVERAGE,
            conformity_score="lac",
            prefit=False,
        )
        sets[name] = (
            mapie.fit(X_fit, y_fit)
            .conformalize(X_cal, y_cal)
            .predict_set(X_test)[1][:, :, 0]
        )
    return {
        name: (s[np.arange(len(y_test)), y_test], s.sum(axis=1))
        for name, s in sets.items()
    }, X_test


def regression_runs(seed, X, y, mondrian):
    """Covered (bool) and interval width per held-out patient, for each method."""
    X_rest, X_test, y_rest, y_test, g_rest, g_test = train_test_split(
        X, y, mondrian, test_size=0.25, random_state=seed
    )
    X_fit, X_cal, y_fit, y_cal = train_test_split(
        X_rest, y_rest, test_size=1 / 3, random_state=seed
    )
    intervals = {}
    for name, groups in (("skprecmed", None), ("skprecmed Mondrian", g_rest)):
        conformal = ConformalRegressor(
            keras_regressor(seed),
            coverage=COVERAGE,
            calibration_size=1 / 3,
            groups=groups,
            random_state=seed,
        ).fit(X_rest, y_rest)
        intervals[name] = conformal.predict_interval(
            X_test, groups=None if groups is None else g_test
        )
    for name, factory in (
        ("MAPIE MLP", mlp_regressor),
        ("MAPIE linear", linear_regressor),
    ):
        mapie = SplitConformalRegressor(
            factory(seed), confidence_level=COVERAGE, prefit=False
        )
        intervals[name] = (
            mapie.fit(X_fit, y_fit)
            .conformalize(X_cal, y_cal)
            .predict_interval(X_test)[1][:, :, 0]
        )
    return {
        name: ((i[:, 0] <= y_test) & (y_test <= i[:, 1]), i[:, 1] - i[:, 0])
        for name, i in intervals.items()
    }, X_test


def keras_survival(seed):
    return make_pipeline(
        _survival_prep(),
        KerasNetSurvivalAnalysis(**{**NET, "epochs": 40, "random_state": seed}),
    )


def cox_survival(seed):
    return make_pipeline(_survival_prep(), CoxPHSurvivalAnalysis(alpha=1e-4))


def _survival_prep():
    return make_column_transformer(
        (
            OneHotEncoder(drop="if_binary", sparse_output=False),
            make_column_selector(dtype_include="category"),
        ),
        (StandardScaler(), make_column_selector(dtype_include="number")),
    )


def survival_runs(seed, X, y, mondrian):
    """Bound kept (observed time >= bound) and bound per held-out patient."""
    event = y[y.dtype.names[0]]
    X_rest, X_test, y_rest, y_test, g_rest, g_test = train_test_split(
        X, y, mondrian, test_size=0.25, stratify=event, random_state=seed
    )
    bounds = {}
    for name, factory, groups in (
        ("skprecmed", keras_survival, None),
        ("skprecmed Mondrian", keras_survival, g_rest),
        ("CoxPH", cox_survival, None),
    ):
        conformal = ConformalSurvival(
            factory(seed),
            coverage=COVERAGE,
            calibration_size=1 / 3,
            groups=groups,
            random_state=seed,
        ).fit(X_rest, y_rest)
        bounds[name] = conformal.predict_lower_bound(
            X_test, groups=None if groups is None else g_test
        )
    observed = y_test[y_test.dtype.names[1]]
    return {name: (observed >= b, b) for name, b in bounds.items()}, X_test


def benchmark(title, runs, X, y, mondrian, subgroups, size_name, n_seeds):
    """Average coverage over seeds, overall and per subgroup."""
    per_seed = []
    start = time.perf_counter()
    for seed in range(n_seeds):
        per_seed.append(runs(seed, X, y, mondrian))
    elapsed = time.perf_counter() - start
    print(f"\n{title}  ({n_seeds} splits, {elapsed:.0f} s)")
    header = f"{'method':<20}{'coverage (sd)':>15}"
    header += "".join(f"{name:>15}" for name in subgroups) + f"{size_name:>12}"
    header += f"{'empty':>8}" if size_name == "set size" else ""
    print(header)
    print("-" * len(header))
    for method in per_seed[0][0]:
        overall = [result[method][0].mean() for result, _ in per_seed]
        line = f"{method:<20}{np.mean(overall):>9.3f} ({np.std(overall):.3f})"
        for select in subgroups.values():
            within = [r[method][0][np.asarray(select(Xt))].mean() for r, Xt in per_seed]
            line += f"{np.mean(within):>15.3f}"
        size = np.mean([result[method][1].mean() for result, _ in per_seed])
        line += f"{size:>12.2f}"
        if size_name == "set size":  # LAC's sets can be empty: say how often
            empty = np.mean([(result[method][1] == 0).mean() for result, _ in per_seed])
            line += f"{empty:>8.3f}"
        print(line)


def main():
    # MLPClassifier at max_iter=500 has not always converged; it is the baseline
    # as a user would run it, so the warning is silenced, not the cap raised
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    n_seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    print(__doc__.split("\n\n")[0])
    print(
        f"\n{time.strftime('%Y-%m-%d')}, {platform.machine()}, "
        f"{platform.processor() or platform.platform()}, "
        f"Python {platform.python_version()}"
    )
    start = time.perf_counter()

    X, y = load_breast_cancer(return_X_y=True)
    radius = np.median(X[:, 0])
    benchmark(
        "Breast cancer (569 patients): 90% prediction sets of the diagnosis",
        classification_runs,
        X,
        y,
        X[:, 0] >= radius,  # Mondrian: radius halves
        {
            "radius < med": lambda Xt: Xt[:, 0] < radius,
            "radius >= med": lambda Xt: Xt[:, 0] >= radius,
        },
        "set size",
        n_seeds,
    )

    X, y = load_diabetes(return_X_y=True)
    age, sex = np.median(X[:, 0]), np.unique(X[:, 1])
    benchmark(
        "Diabetes (442 patients): 90% prediction intervals of progression",
        regression_runs,
        X,
        y,
        X[:, 1],  # Mondrian: sex
        {
            "sex A": lambda Xt: Xt[:, 1] == sex[0],
            "sex B": lambda Xt: Xt[:, 1] == sex[1],
            "age < med": lambda Xt: Xt[:, 0] < age,
            "age >= med": lambda Xt: Xt[:, 0] >= age,
        },
        "width",
        n_seeds,
    )
    for name, loader, column, labels in (
        ("WHAS500", load_whas500, "gender", ("male", "female")),
        ("GBSG2", load_gbsg2, "horTh", ("no hormone th.", "hormone th.")),
    ):
        X, y = loader()
        age = X["age"].median()
        levels = X[column].cat.categories
        benchmark(
            f"{name} ({len(X)} patients): 90% lower bounds on the survival time (days)",
            survival_runs,
            X,
            y,
            X[column].to_numpy(),  # Mondrian
            {
                labels[0]: lambda Xt, c=column, v=levels[0]: Xt[c] == v,
                labels[1]: lambda Xt, c=column, v=levels[1]: Xt[c] == v,
                "age < med": lambda Xt, a=age: Xt["age"] < a,
                "age >= med": lambda Xt, a=age: Xt["age"] >= a,
            },
            "mean bound",
            n_seeds,
        )
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
