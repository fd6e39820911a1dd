"""Small, fast instances of every estimator, and the checks they may fail.

A Keras network is trained in most of scikit-learn's estimator checks, so the
instances are tiny; the learning rate is high so that the few epochs still
reach the accuracy ``check_classifiers_train`` asks for.
"""

import numpy as np
from scipy.stats import rankdata
from sksurv.util import Surv

from skprecmed import (
    KerasNetClassifier,
    KerasNetCompetingRisks,
    KerasNetDiscreteTimeSurvivalAnalysis,
    KerasNetRegressor,
    KerasNetSurvivalAnalysis,
)

FAST_PARAMS = {
    "hidden_layer_sizes": (16,),
    "epochs": 20,
    "batch_size": 64,
    "learning_rate_init": 0.05,
    "random_state": 0,
}


def fast(**params):
    """Parameters of a quick network, overridable."""
    base = {
        "hidden_layer_sizes": (8,),
        "epochs": 5,
        "batch_size": 64,
        "learning_rate_init": 0.01,
        "random_state": 0,
    }
    base.update(params)
    return base


def _as_survival_target(y):
    """A class or real-valued target as an all-event survival target."""
    if y is None or getattr(getattr(y, "dtype", None), "names", None):
        return y
    values = np.asarray(y)
    values = values[:, 0] if values.ndim > 1 else values
    return Surv.from_arrays(event=np.ones(len(values), bool), time=rankdata(values))


class SurvivalForGenericChecks(KerasNetSurvivalAnalysis):
    """KerasNetSurvivalAnalysis as scikit-learn's generic checks can drive it.

    Those checks make class labels or real numbers as targets; like every
    scikit-survival estimator, ours needs a structured (event, time) target.
    This subclass only turns such a ``y`` into one (every sample an event,
    time = rank of ``y``) in ``fit`` and ``score``; all else is the real
    estimator. Survival-specific behaviour is tested with real survival data
    in ``test_survival.py``.
    """

    def _prepare_target(self, X, y, sample_weight):
        return super()._prepare_target(X, _as_survival_target(y), sample_weight)

    def score(self, X, y):
        return super().score(X, _as_survival_target(y))


class DiscreteTimeForGenericChecks(KerasNetDiscreteTimeSurvivalAnalysis):
    """KerasNetDiscreteTimeSurvivalAnalysis with the same target conversion.

    Real behaviour is tested in ``test_discrete_survival.py``.
    """

    def _prepare_target(self, X, y, sample_weight):
        return super()._prepare_target(X, _as_survival_target(y), sample_weight)

    def score(self, X, y):
        return super().score(X, _as_survival_target(y))


def _as_competing_target(y):
    """A class or real-valued target as a two-cause competing-risk target.

    Every sample has an event at time = rank of ``y``; the distinct times
    alternate between cause 1 and cause 2, from cause 1 (one distinct time:
    cause 1 only).
    """
    survival = _as_survival_target(y)
    if survival is None or survival.dtype.names[0] != "event":
        return survival
    time = survival["time"]
    cause = 2 - rankdata(time, method="dense").astype(int) % 2
    return np.array(
        list(zip(cause, time, strict=True)), dtype=[("status", int), ("ftime", float)]
    )


class CompetingRisksForGenericChecks(KerasNetCompetingRisks):
    """KerasNetCompetingRisks with class labels or numbers turned into two causes.

    Real behaviour is tested in ``test_discrete_survival.py``.
    """

    def _prepare_target(self, X, y, sample_weight):
        return super()._prepare_target(X, _as_competing_target(y), sample_weight)

    def score(self, X, y):
        return super().score(X, _as_competing_target(y))


#: the classifier runs the checks with the default early stopping (so that
#: path meets every check); the others train without its hold-out, faster
_NO_HOLD_OUT = {**FAST_PARAMS, "early_stopping": False}
ESTIMATORS = [
    KerasNetClassifier(**FAST_PARAMS),
    KerasNetRegressor(**_NO_HOLD_OUT),
    SurvivalForGenericChecks(**_NO_HOLD_OUT),
    DiscreteTimeForGenericChecks(**{**_NO_HOLD_OUT, "epochs": 5}, n_time_bins=5),
    CompetingRisksForGenericChecks(**{**_NO_HOLD_OUT, "epochs": 5}, n_time_bins=5),
]

# {estimator class: {check name: reason}}; every entry is a failure inherent
# to training a network by minibatch gradient descent.
_MINIBATCH_SAMPLE_WEIGHT = (
    "Minibatch gradient descent: repeating a row changes the composition and "
    "number of the minibatches, so a weight of 2 is not the same as a repeated "
    "row (scikit-learn marks SGDClassifier and the MLPs the same way)."
)
EXPECTED_FAILED_CHECKS = {
    KerasNetClassifier: {
        "check_sample_weight_equivalence_on_dense_data": _MINIBATCH_SAMPLE_WEIGHT,
    },
    KerasNetRegressor: {
        "check_sample_weight_equivalence_on_dense_data": _MINIBATCH_SAMPLE_WEIGHT,
    },
    SurvivalForGenericChecks: {
        "check_sample_weight_equivalence_on_dense_data": _MINIBATCH_SAMPLE_WEIGHT,
    },
    DiscreteTimeForGenericChecks: {
        "check_sample_weight_equivalence_on_dense_data": _MINIBATCH_SAMPLE_WEIGHT,
    },
    CompetingRisksForGenericChecks: {
        "check_sample_weight_equivalence_on_dense_data": _MINIBATCH_SAMPLE_WEIGHT,
    },
}


def expected_failed_checks(estimator):
    """``expected_failed_checks`` callback for ``parametrize_with_checks``."""
    return EXPECTED_FAILED_CHECKS.get(type(estimator), {})
