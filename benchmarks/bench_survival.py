"""Deep survival model against scikit-survival's Cox model on the same folds.

For GBSG2 (German Breast Cancer Study Group 2, 686 patients, time to
recurrence) and WHAS500 (Worcester Heart Attack Study, 500 patients, time to
death), both shipped with scikit-survival, prints the cross-validated
Harrell's C-index of, on identical 5-fold splits::

    python benchmarks/bench_survival.py

* ``CoxPH``: ``CoxPHSurvivalAnalysis`` (linear Cox model; ``alpha=1e-4`` for
  numerical stability with one-hot columns);
* ``DeepSurv fixed``: ``KerasNetSurvivalAnalysis`` with one fixed setting;
* ``DeepSurv tuned``: ``KerasNetSurvivalAnalysis`` whose architecture (no
  hidden layer, i.e. the Cox model fitted by gradient descent, or the
  fixed setting) is chosen by an inner 3-fold ``GridSearchCV`` on each
  training fold (nested cross-validation: no test fold is seen in tuning).
"""

import time

import numpy as np
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sksurv.datasets import load_gbsg2, load_whas500
from sksurv.linear_model import CoxPHSurvivalAnalysis

from skprecmed import KerasNetSurvivalAnalysis

DEEP = {"batch_size": 512, "random_state": 0}
FIXED = {
    "hidden_layer_sizes": (16,),
    "alpha": 0.1,
    "epochs": 200,
    "learning_rate_init": 1e-2,
}
GRID = [
    {
        "model__hidden_layer_sizes": [()],
        "model__epochs": [500],
        "model__learning_rate_init": [1e-2],
    },
    {f"model__{k}": [v] for k, v in FIXED.items()},
]


def pipeline(estimator):
    prep = make_column_transformer(
        (OneHotEncoder(drop="first"), make_column_selector(dtype_include="category")),
        (StandardScaler(), make_column_selector(dtype_include="number")),
    )
    return Pipeline([("prep", prep), ("model", estimator)])


def main():
    print(__doc__.split("\n\n")[0])
    print()
    rows = []
    for name, loader in (("GBSG2", load_gbsg2), ("WHAS500", load_whas500)):
        X, y = loader()
        folds = list(KFold(5, shuffle=True, random_state=0).split(X))
        scores = {"CoxPH": [], "DeepSurv fixed": [], "DeepSurv tuned": []}
        chosen = []
        start = time.perf_counter()
        for train, test in folds:
            X_train, X_test, y_train, y_test = (
                X.iloc[train],
                X.iloc[test],
                y[train],
                y[test],
            )
            cox = pipeline(CoxPHSurvivalAnalysis(alpha=1e-4)).fit(X_train, y_train)
            scores["CoxPH"].append(cox.score(X_test, y_test))
            fixed = pipeline(KerasNetSurvivalAnalysis(**DEEP, **FIXED)).fit(
                X_train, y_train
            )
            scores["DeepSurv fixed"].append(fixed.score(X_test, y_test))
            search = GridSearchCV(
                pipeline(KerasNetSurvivalAnalysis(**DEEP)),
                GRID,
                cv=KFold(3, shuffle=True, random_state=1),
            ).fit(X_train, y_train)
            scores["DeepSurv tuned"].append(search.score(X_test, y_test))
            chosen.append(search.best_params_["model__hidden_layer_sizes"])
        seconds = time.perf_counter() - start
        for model, values in scores.items():
            rows.append((name, model, np.mean(values), np.std(values), values))
        rows.append(
            (
                name,
                f"(tuned chose hidden layers {chosen}; {seconds:.0f} s)",
                None,
                None,
                None,
            )
        )

    print(f"| {'data':8} | {'model':16} | {'C-index':>7} | {'sd':>5} | per fold")
    print("|----------|------------------|---------|-------|---------")
    for data, model, mean, sd, values in rows:
        if mean is None:
            print(f"| {data:8} | {model}")
            continue
        folds = " ".join(f"{v:.3f}" for v in values)
        print(f"| {data:8} | {model:16} | {mean:7.4f} | {sd:5.3f} | {folds}")


if __name__ == "__main__":
    main()
