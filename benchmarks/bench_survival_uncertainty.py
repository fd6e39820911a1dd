"""Do survival intervals cover the true survival? A simulation with known truth.

Prints, side by side in one run, for patients whose true survival curve is
known, how often 90% intervals on the survival probability at a fixed time
and on the restricted mean survival time (RMST) contain the truth, and how
often the treatment recommender abstains at each size of the true effect::

    python benchmarks/bench_survival_uncertainty.py [n_replications]

Cohort: 5 standard normal features, true log-hazard ``0.8 x0 - 0.6 x1``
(three noise features), exponential times (baseline hazard 1), independent
exponential censoring (rate 0.4, about 30% censored), 500 training patients.
Each replication draws a new cohort and 200 new patients; coverage is the
share of (patient, replication) pairs whose interval holds the truth
(goal: 0.90 within 3 points), ``sd`` the spread between replications,
``s/rep`` the seconds per replication (all its refits).

Intervals compared (all 90%, percentile over replicates):

* ``CoxPH bootstrap``: scikit-survival's Cox model refitted on 100
  bootstrap resamples (``bootstrap_fit``), the classical reference;
* ``skprecmed bootstrap``: ``KerasNetSurvivalAnalysis`` (16 units, 60
  epochs at learning rate 0.01, no early stopping) refitted on 20
  bootstrap resamples (on half of the replications: 20 fits each);
* ``skprecmed ensemble``: one ``KerasNetSurvivalAnalysis`` with
  ``ensemble_size=5``, its members' spread (not a sampling interval).

Treatment: a randomised trial (1200 patients) where treatment lowers the
log-hazard by ``1.5 * marker`` (marker uniform on [-1, 1]: no effect at 0,
harm below); ``recommend_treatment(..., horizon=1, coverage=0.9)`` on
bootstrap replicates of a Cox model with the marker-treatment interaction
and on skprecmed networks given the raw marker and treatment columns (they
must learn the interaction): 20 bootstrap refits, or one ensemble of 5.
Printed: the share of patients left without a recommendation, by the true
difference in 1-year risk between the arms, and how often a recommendation
made is the truly better arm.
"""

import platform
import sys
import time

import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sksurv.linear_model import CoxPHSurvivalAnalysis
from sksurv.util import Surv

from skprecmed import (
    KerasNetSurvivalAnalysis,
    bootstrap_fit,
    recommend_treatment,
    survival_intervals,
)

COVERAGE = 0.9
T0, HORIZON = 1.0, 2.0  # survival at T0, RMST up to HORIZON
BETA = np.array([0.8, -0.6, 0.0, 0.0, 0.0])
# a small network trained for a fixed budget: 20 refits per replication
NET = {
    "hidden_layer_sizes": (16,),
    "epochs": 60,
    "early_stopping": False,
    "learning_rate_init": 0.01,
}


def cohort(rng, n):
    X = rng.normal(size=(n, len(BETA)))
    time = rng.exponential(np.exp(-X @ BETA))
    censor = rng.exponential(1 / 0.4, size=n)
    return X, Surv.from_arrays(time <= censor, np.minimum(time, censor))


def truth(X):
    rate = np.exp(X @ BETA)
    return np.exp(-rate * T0), (1 - np.exp(-rate * HORIZON)) / rate


def net(seed, **params):
    return KerasNetSurvivalAnalysis(**{**NET, "random_state": seed, **params})


def interval_runs(n_replications, n_network_replications):
    methods = {
        "CoxPH bootstrap": lambda X, y, s: bootstrap_fit(
            CoxPHSurvivalAnalysis(), X, y, n_bootstraps=100, random_state=s
        ),
        "skprecmed bootstrap": lambda X, y, s: bootstrap_fit(
            net(s), X, y, n_bootstraps=20, random_state=s
        ),
        "skprecmed ensemble": lambda X, y, s: net(s, ensemble_size=5).fit(X, y),
    }
    results = {name: [] for name in methods}
    for rep in range(n_replications):
        rng = np.random.default_rng(rep)
        X, y = cohort(rng, 500)
        X_new, _ = cohort(rng, 200)
        true_survival, true_rmst = truth(X_new)
        for name, fit in methods.items():
            if name.startswith("skprecmed") and rep >= n_network_replications:
                continue
            start = time.perf_counter()
            result = survival_intervals(
                fit(X, y, rep), X_new, T0, coverage=COVERAGE, rmst_horizon=HORIZON
            )
            lower, upper = result.lower[:, 0], result.upper[:, 0]
            results[name].append(
                (
                    np.mean((lower <= true_survival) & (true_survival <= upper)),
                    np.mean(upper - lower),
                    np.mean(
                        (result.rmst_lower <= true_rmst)
                        & (true_rmst <= result.rmst_upper)
                    ),
                    np.mean(result.rmst_upper - result.rmst_lower),
                    time.perf_counter() - start,
                )
            )
    return results


def interacted(Z):
    return np.column_stack([Z[:, 0], Z[:, 1], Z[:, 0] * Z[:, 1]])


def treatment_runs(n_replications):
    bands = [0, 0.02, 0.05, 0.1, 1.0]
    rows = {name: [] for name in ("CoxPH bootstrap", "skprecmed bootstrap")}
    rows["skprecmed ensemble"] = []
    for rep in range(n_replications):
        rng = np.random.default_rng(100 + rep)
        n = 1200
        marker = rng.uniform(-1, 1, size=n)
        treated = rng.integers(0, 2, size=n).astype(float)
        log_hazard = 0.5 * marker - 1.5 * marker * treated
        t = rng.exponential(np.exp(-log_hazard))
        censor = rng.exponential(3.0, size=n)
        X = np.column_stack([marker, treated])
        y = Surv.from_arrays(t <= censor, np.minimum(t, censor))
        # true 1-year risk under each arm, and which arm is better
        risk0 = 1 - np.exp(-np.exp(0.5 * marker) * 1.0)
        risk1 = 1 - np.exp(-np.exp(-1.0 * marker) * 1.0)
        effect = np.abs(risk1 - risk0)
        better = np.where(risk1 < risk0, 1.0, 0.0)
        cox = make_pipeline(FunctionTransformer(interacted), CoxPHSurvivalAnalysis())
        models = {
            "CoxPH bootstrap": bootstrap_fit(
                cox, X, y, n_bootstraps=50, random_state=rep
            ),
            "skprecmed bootstrap": bootstrap_fit(
                net(rep), X, y, n_bootstraps=20, random_state=rep
            ),
            "skprecmed ensemble": net(rep, ensemble_size=5).fit(X, y),
        }
        for name, model in models.items():
            result = recommend_treatment(
                model, X, treatment=1, horizon=1.0, coverage=COVERAGE
            )
            abstained = np.equal(result.recommended, None)
            shares = [
                abstained[(effect >= lo) & (effect < hi)].mean()
                for lo, hi in zip(bands[:-1], bands[1:], strict=True)
            ]
            made = ~abstained
            correct = np.mean(result.recommended[made] == better[made])
            rows[name].append(shares + [correct])
    return bands, rows


def main():
    n_replications = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    n_network = max(1, n_replications // 2)
    print(__doc__.split("\n\n")[0])
    print(
        f"\n{time.strftime('%Y-%m-%d')}, {platform.machine()}, "
        f"{platform.processor() or platform.platform()}, "
        f"Python {platform.python_version()}, {n_replications} replications "
        f"({n_network} for the networks)"
    )
    start = time.perf_counter()
    results = interval_runs(n_replications, n_network)
    print(f"\n90% intervals: S(t={T0:g} | x) and RMST up to {HORIZON:g}")
    header = (
        f"{'method':<22}{'S coverage (sd)':>17}{'width':>8}"
        f"{'RMST coverage':>15}{'width':>8}{'s/rep':>8}{'goal':>6}"
    )
    print(header)
    print("-" * len(header))
    for name, runs in results.items():
        runs = np.array(runs)
        coverage = runs[:, 0].mean()
        met = "met" if abs(coverage - COVERAGE) <= 0.03 else "NO"
        print(
            f"{name:<22}{coverage:>9.3f} ({runs[:, 0].std():.3f})"
            f"{runs[:, 1].mean():>8.3f}"
            f"{runs[:, 2].mean():>15.3f}{runs[:, 3].mean():>8.3f}"
            f"{runs[:, 4].mean():>8.1f}{met:>6}"
        )

    bands, rows = treatment_runs(max(1, n_network // 3))
    print("\nNo recommendation (share of patients), by true 1-year risk difference")
    labels = [f"{lo:g}-{hi:g}" for lo, hi in zip(bands[:-1], bands[1:], strict=True)]
    header = f"{'method':<22}" + "".join(f"{b:>11}" for b in labels)
    header += f"{'right when made':>17}"
    print(header)
    print("-" * len(header))
    for name, runs in rows.items():
        runs = np.nanmean(np.array(runs), axis=0)
        print(
            f"{name:<22}"
            + "".join(f"{v:>11.3f}" for v in runs[:-1])
            + f"{runs[-1]:>17.3f}"
        )
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
