"""Deep Cox proportional-hazards model (DeepSurv) for time-to-event data.

Needs scikit-survival (``pip install "skprecmed[survival]"``) for its target
format, its concordance index and its Breslow estimator.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from . import _docstrings
from ._base import FitTarget, _BaseKerasNet

try:
    from sksurv.base import SurvivalAnalysisMixin
    from sksurv.linear_model.coxph import BreslowEstimator
    from sksurv.util import check_array_survival
except ImportError as exc:  # pragma: no cover - exercised without the extra
    raise ImportError(
        "KerasNetSurvivalAnalysis needs scikit-survival: "
        'pip install "skprecmed[survival]"'
    ) from exc


@_docstrings.fill(
    network_parameters=_docstrings.NETWORK_PARAMETERS,
    common_attributes=_docstrings.COMMON_ATTRIBUTES,
    auto_loss='``"auto"`` is the negative Cox partial log-likelihood with\n'
    "        Breslow's handling of tied times, computed within each batch.",
    stratified="",
)
class KerasNetSurvivalAnalysis(SurvivalAnalysisMixin, _BaseKerasNet):
    """Deep Cox proportional-hazards model (DeepSurv) with the scikit-learn API.

    A dense network outputs a log-risk for each patient and is trained on the
    Cox partial likelihood (Breslow ties) of right-censored times to an event
    (relapse, death). It speaks scikit-survival's contract, so pipelines,
    :class:`~sklearn.model_selection.GridSearchCV` and
    :func:`~sklearn.model_selection.cross_val_score` work unchanged:

    * ``y`` is a structured array of (event indicator, time), as made by
      :meth:`sksurv.util.Surv.from_arrays`;
    * ``predict`` returns the risk score (higher means an earlier event);
    * ``score`` is Harrell's concordance index;
    * ``predict_survival_function`` and ``predict_cumulative_hazard_function``
      come from Breslow's estimator of the baseline hazard on the training
      data.

    The partial likelihood compares each event with the patients still at
    risk *in the same batch*, so larger batches approximate the full
    likelihood better; ``batch_size`` at least the number of patients gives
    the exact one.

    Parameters
    ----------
    %(network_parameters)s

    Attributes
    ----------
    unique_times_ : ndarray of shape (n_unique_times,)
        Distinct event times of the training data.
    cum_baseline_hazard_ : :class:`sksurv.functions.StepFunction`
        Breslow's estimate of the cumulative baseline hazard.
    baseline_survival_ : :class:`sksurv.functions.StepFunction`
        Baseline survival function.
    %(common_attributes)s

    See Also
    --------
    sksurv.linear_model.CoxPHSurvivalAnalysis : The linear Cox model.

    References
    ----------
    .. [1] Katzman et al. "DeepSurv: personalized treatment recommender system
       using a Cox proportional hazards deep neural network." BMC Medical
       Research Methodology 18, 24 (2018).

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sksurv.datasets import load_whas500
    >>> from skprecmed import KerasNetSurvivalAnalysis
    >>> X, y = load_whas500()
    >>> X = X[["age", "bmi", "hr", "sysbp", "diasbp"]].to_numpy()
    >>> model = make_pipeline(
    ...     StandardScaler(),
    ...     KerasNetSurvivalAnalysis(epochs=20, batch_size=128, random_state=0),
    ... ).fit(X, y)
    >>> bool(model.score(X, y) > 0.7)
    True
    >>> model.predict_survival_function(X[:2], return_array=True).shape[0]
    2
    """

    _y_numeric = True

    _validate_y = False  # a structured array: checked by scikit-survival
    #: the Cox loss compares each event with the patients at risk in its
    #: batch: large batches approach the full partial likelihood
    _auto_batch_size = 256

    def _prepare_target(self, X, y, sample_weight):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None."
            )
        event, time = _check_survival_target(X, y)
        if self.loss == "auto":
            from ._losses import cox_ph_loss

            loss = cox_ph_loss
        else:
            loss = self.loss
        return FitTarget(
            # the Cox loss reads the time from column 0, the event from 1
            y=np.column_stack([time, event]).astype(np.float64),
            n_outputs=1,
            activation="linear",
            loss=loss,
            sample_weight=sample_weight,
            meta={
                "n_outputs_": 1,
                "n_outputs_expected_": 1,
                "target_type_": "survival",
                "y_dtype_": y.dtype,
                "y_ndim_": y.ndim,
            },
        )

    def _finish_fit(self, X, target):
        time, event = target.y[:, 0], target.y[:, 1].astype(bool)
        members = self._forward_members(X)[:, :, 0]
        log_risk = members.mean(axis=1)
        # risks relative to the mean training patient: exp() stays finite
        self._offset = float(np.mean(log_risk))
        self._baseline_model = BreslowEstimator().fit(
            log_risk - self._offset, event, time
        )
        # an ensemble's members each get their own baseline, so that their
        # survival curves (and the spread between them) are Cox models too
        self._member_offsets = members.mean(axis=0)
        self._member_baselines = (
            [
                BreslowEstimator().fit(members[:, m] - offset, event, time)
                for m, offset in enumerate(self._member_offsets)
            ]
            if members.shape[1] > 1
            else []
        )

    def _member_survival(self, X):
        """Each ensemble member's survival: grid (g,), values (n, members, g)."""
        members = self._forward_members(X)[:, :, 0]
        values = [
            baseline.baseline_survival_.y[None, :]
            ** np.exp(members[:, m] - self._member_offsets[m])[:, None]
            for m, baseline in enumerate(self._member_baselines)
        ]
        return self.unique_times_, np.stack(values, axis=1)

    @property
    def unique_times_(self):
        return self._baseline_model.unique_times_

    @property
    def cum_baseline_hazard_(self):
        return self._baseline_model.cum_baseline_hazard_

    @property
    def baseline_survival_(self):
        return self._baseline_model.baseline_survival_

    def predict(self, X):
        """Risk score of each patient: log-hazard ratio to the mean patient.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Patients, with the features seen in ``fit``.

        Returns
        -------
        risk : ndarray of shape (n_samples,)
            Higher means an earlier event; 0 is the average training patient.
        """
        return self._forward(X).ravel() - self._offset

    def predict_survival_function(self, X, return_array=False):
        """Survival function of each patient (Breslow baseline).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Patients.
        return_array : bool, default=False
            If True, an array of the survival probabilities at
            ``unique_times_``; otherwise
            :class:`sksurv.functions.StepFunction` objects.

        Returns
        -------
        survival : ndarray of StepFunction, or ndarray of shape \
                (n_samples, n_unique_times)
            Each patient's survival probability over time.
        """
        check_is_fitted(self)
        return self._predict_survival_function(
            self._baseline_model, self.predict(X), return_array
        )

    def predict_cumulative_hazard_function(self, X, return_array=False):
        """Cumulative hazard function of each patient (Breslow baseline).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Patients.
        return_array : bool, default=False
            If True, an array of the cumulative hazard at ``unique_times_``;
            otherwise :class:`sksurv.functions.StepFunction` objects.

        Returns
        -------
        cum_hazard : ndarray of StepFunction, or ndarray of shape \
                (n_samples, n_unique_times)
            Each patient's cumulative hazard over time.
        """
        check_is_fitted(self)
        return self._predict_cumulative_hazard_function(
            self._baseline_model, self.predict(X), return_array
        )


def _check_survival_target(X, y):
    """Event indicator and times of a structured survival target, checked."""
    if not (isinstance(y, np.ndarray) and y.dtype.names and len(y.dtype.names) == 2):
        raise ValueError(
            "y must be a structured array with an event indicator field and a "
            "time field, e.g. sksurv.util.Surv.from_arrays(event, time); got "
            f"{type(y).__name__} of dtype {getattr(y, 'dtype', None)}."
        )
    # scikit-survival checks the event dtype, negative times, NaN and the
    # presence of at least one event
    event, time = check_array_survival(X, y)
    return event.astype(bool), time.astype(np.float64)
