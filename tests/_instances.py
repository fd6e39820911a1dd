"""Small, fast instances of every estimator, and the checks they may fail.

A Keras network is trained in most of scikit-learn's estimator checks, so the
instances are tiny; the learning rate is high so that the few epochs still
reach the accuracy ``check_classifiers_train`` asks for.
"""

from skprecmed import KerasMLPClassifier, KerasMLPRegressor

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


ESTIMATORS = [KerasMLPClassifier(**FAST_PARAMS), KerasMLPRegressor(**FAST_PARAMS)]

# {estimator class: {check name: reason}}; every entry is a failure inherent
# to training a network by minibatch gradient descent.
_MINIBATCH_SAMPLE_WEIGHT = (
    "Minibatch gradient descent: repeating a row changes the composition and "
    "number of the minibatches, so a weight of 2 is not the same as a repeated "
    "row (scikit-learn marks SGDClassifier and the MLPs the same way)."
)
EXPECTED_FAILED_CHECKS = {
    KerasMLPClassifier: {
        "check_sample_weight_equivalence_on_dense_data": _MINIBATCH_SAMPLE_WEIGHT,
    },
    KerasMLPRegressor: {
        "check_sample_weight_equivalence_on_dense_data": _MINIBATCH_SAMPLE_WEIGHT,
    },
}


def expected_failed_checks(estimator):
    """``expected_failed_checks`` callback for ``parametrize_with_checks``."""
    return EXPECTED_FAILED_CHECKS.get(type(estimator), {})
