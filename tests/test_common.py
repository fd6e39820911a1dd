"""scikit-learn's own estimator checks over every skprecmed estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from ._instances import ESTIMATORS, expected_failed_checks


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
