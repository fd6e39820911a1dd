"""Discrete-time survival networks: logistic hazards and competing risks.

The time axis is cut into intervals at a grid learned from the training
times; the network outputs, for each interval, the logit of the hazard of
each cause (the probability of the event in that interval for a patient
still at risk at its start). Nothing ties one interval's hazard to
another's, so hazards may cross: no proportional-hazards assumption.

* :class:`KerasNetDiscreteTimeSurvivalAnalysis`: one event (logistic
  hazard, as nnet-survival and pycox's ``LogisticHazard``);
* :class:`KerasNetCompetingRisks`: several causes, a softmax over "no
  event" and the causes in each interval (discrete cause-specific hazards).

Both speak scikit-survival's contract (structured ``y``, ``predict`` a risk
score, step functions on the grid) and need scikit-survival.
"""

from numbers import Integral, Real

import numpy as np
from scipy.special import logsumexp
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from . import _docstrings
from ._base import FitTarget, _BaseKerasNet

try:
    from sksurv.base import SurvivalAnalysisMixin
    from sksurv.functions import StepFunction
    from sksurv.metrics import concordance_index_censored
except ImportError as exc:  # pragma: no cover - exercised without the extra
    raise ImportError(
        "The discrete-time survival networks need scikit-survival: "
        'pip install "skprecmed[survival]"'
    ) from exc


# ------------------------------------------------------------------ target
def _check_target(X, y, *, competing, require_event=True):
    """Event codes (int, 0 censored) and times of a structured target.

    One :class:`ValueError` for each kind of bad target: not a structured
    array of two fields, event codes that are not integers (booleans for a
    single event), negative codes, negative or non-finite times,
    no event, a length other than ``X``'s. A time of 0 is allowed (events on
    the day of transplant, as in :func:`sksurv.datasets.load_bmt`): it falls
    in the first interval.
    """
    if y is None:
        raise ValueError(
            "This estimator requires y to be passed, but the target y is None."
        )
    if not (isinstance(y, np.ndarray) and y.dtype.names and len(y.dtype.names) == 2):
        raise ValueError(
            "y must be a structured array with an event indicator field and a "
            "time field, e.g. sksurv.util.Surv.from_arrays(event, time); got "
            f"{type(y).__name__} of dtype {getattr(y, 'dtype', None)}."
        )
    event_field, time_field = y.dtype.names
    event, time = y[event_field], y[time_field]
    if competing:
        if event.dtype.kind not in "biu":
            raise ValueError(
                "The event field of y must hold integer codes (0 censored, 1..K "
                f"the cause), as in sksurv.datasets.load_bmt; got dtype {event.dtype}."
            )
    elif event.dtype.kind != "b":
        raise ValueError(
            f"The event field of y must be boolean; got dtype {event.dtype}."
        )
    event = event.astype(np.int64)
    if np.any(event < 0):
        raise ValueError(
            f"Event codes must be 0 (censored) or a cause 1..K; got {int(event.min())}."
        )
    if time.dtype.kind not in "iuf":
        raise ValueError(
            f"The time field of y must be numeric; got dtype {time.dtype}."
        )
    time = time.astype(np.float64)
    if not np.all(np.isfinite(time)) or np.any(time < 0):
        raise ValueError(
            "Observed times must be finite and >= 0; got "
            f"{int(np.sum(time < 0))} negative and "
            f"{int(np.sum(~np.isfinite(time)))} NaN or infinite values."
        )
    if len(event) != len(X):
        raise ValueError(f"y has {len(event)} samples but X has {len(X)}.")
    if require_event and not np.any(event):
        raise ValueError("All samples are censored: there is no event to learn from.")
    return event, time


def _make_grid(time, event, n_time_bins, time_grid):
    """Right ends of the intervals, strictly increasing and > 0.

    The intervals are ``[0, cuts[0]], (cuts[0], cuts[1]], ...``.
    """
    if not isinstance(time_grid, str):
        cuts = np.asarray(time_grid, dtype=np.float64)
        if (
            cuts.ndim != 1
            or cuts.size == 0
            or not np.all(np.isfinite(cuts))
            or cuts[0] <= 0
            or np.any(np.diff(cuts) <= 0)
        ):
            raise ValueError(
                "time_grid must be 'quantile', 'uniform' or a 1-D array of strictly "
                f"increasing, positive cut points; got {time_grid!r}."
            )
        return cuts
    event_times = time[event > 0]
    if event_times.max() == 0:
        raise ValueError(
            "Every event is at time 0: there is no interval to learn a grid from; "
            "pass time_grid as an array of cut points."
        )
    if time_grid == "uniform":
        return np.linspace(0, event_times.max(), n_time_bins + 1)[1:]
    levels = np.linspace(0, 1, n_time_bins + 1)[1:]
    cuts = np.unique(np.quantile(event_times, levels))
    return cuts[cuts > 0]  # events at time 0 fall in the first interval


def _encode_target(time, event, cuts, n_causes):
    """The loss's target: intervals survived, then (interval, cause) of the event.

    A patient with an event in interval ``i`` survived the intervals before
    it. A censored patient survived the intervals before their own, and
    their own if censored in its second half (nnet-survival's rule, the
    actuarial half-interval). Times after the last cut are censored there.
    """
    n_bins = len(cuts)
    index = np.searchsorted(cuts, time, side="left")
    beyond = index == n_bins
    event = np.where(beyond, 0, event)
    lower = np.concatenate([[0.0], cuts])[np.minimum(index, n_bins - 1)]
    upper = cuts[np.minimum(index, n_bins - 1)]
    second_half = (event == 0) & (time >= (lower + upper) / 2)
    n_survived = np.where(beyond | second_half, np.minimum(index + 1, n_bins), index)

    survived = (np.arange(n_bins) < n_survived[:, None]).astype(np.float64)
    occurred = np.zeros((len(time), n_bins, n_causes))
    rows = np.flatnonzero(event > 0)
    occurred[rows, index[rows], event[rows] - 1] = 1.0
    return np.hstack([survived, occurred.reshape(len(time), -1)])


def _marginal_logits(encoded, n_bins, n_causes, sample_weight):
    """Logits of the life-table hazards: the fit of the model without covariates.

    In each interval, the hazard of cause ``k`` is the (weighted) number of
    its events over the number at risk (those who survived the interval or
    had an event in it, as the loss counts them), with half an event and
    one patient added so an interval without events gets a finite logit.
    The logit is taken against "no event", as the loss's softmax does.
    """
    weight = np.ones(len(encoded)) if sample_weight is None else sample_weight
    survived = encoded[:, :n_bins]
    occurred = encoded[:, n_bins:].reshape(len(encoded), n_bins, n_causes)
    events = np.einsum("i,ijk->jk", weight, occurred)
    at_risk = weight @ survived + events.sum(axis=1)
    hazard = (events + 0.5 / n_causes) / (at_risk[:, None] + 1.0)
    no_event = 1.0 - hazard.sum(axis=1, keepdims=True)
    return np.log(hazard / no_event).ravel()


#: the step functions step at most this many times, plus one, an interval
_STEP_LEVELS = 32

#: rows whose curves are made at once (each has up to 33 values an interval)
_CHUNK_ROWS = 4096


def _by_chunks(function, *arrays):
    """``function`` of the arrays' row chunks, stacked."""
    n = len(arrays[0])
    return np.concatenate(
        [
            function(*(a[i : i + _CHUNK_ROWS] for a in arrays))
            for i in range(0, max(n, 1), _CHUNK_ROWS)
        ]
    )


def _step_shape(time, event, cuts, sample_weight):
    """Where the curves step inside the intervals, and how far each step goes.

    The model knows the cumulative hazard at the grid points only. Inside
    an interval, the curves follow the training cohort's own: they step at
    its event times (any cause), each step taking the share of the
    interval's rise that the Nelson-Aalen estimator of the training rows
    takes there (the within-interval hazard proportional to the cohort's,
    as Breslow's estimator has it for a Cox model), keeping at most the
    first event time past each 1/32 of the rise. An interval without an
    event time inside (a grid given by the user) steps once, at its middle.

    Returns
    -------
    times : ndarray of shape (n_steps,)
        Strictly increasing, in ``(0, cuts[-1]]``.
    fractions : ndarray of shape (n_steps,)
        In ``(0, 1]``, increasing within each interval and 1 at its last step.
    """
    weight = np.ones(len(time)) if sample_weight is None else sample_weight
    counted = (event > 0) & (weight > 0) & (time > 0) & (time <= cuts[-1])
    times = np.unique(time[counted])
    order = np.argsort(time, kind="stable")
    at_or_after = np.concatenate([np.cumsum(weight[order][::-1])[::-1], [0.0]])
    at_risk = at_or_after[np.searchsorted(time[order], times, side="left")]
    deaths = np.bincount(
        np.searchsorted(times, time[counted]),
        weights=weight[counted],
        minlength=len(times),
    )
    rise = deaths / at_risk
    interval = np.searchsorted(cuts, times, side="left")
    total = np.bincount(interval, weights=rise, minlength=len(cuts))
    before = np.concatenate([[0.0], np.cumsum(total)])[interval]
    fractions = np.cumsum(rise) - before
    fractions = fractions / total[interval]
    if times.size:  # equal to the model at the grid points, exactly
        fractions[np.r_[interval[1:] != interval[:-1], True]] = 1.0
        # at most _STEP_LEVELS + 1 steps an interval: the first step past
        # each 1/_STEP_LEVELS of its rise (a curve then differs from the
        # cohort's shape by less than that share of the rise, and costs
        # O(bins) values per patient, not O(event times))
        group = interval * (_STEP_LEVELS + 1) + np.floor(fractions * _STEP_LEVELS)
        first = np.r_[True, group[1:] != group[:-1]]
        times, fractions, interval = times[first], fractions[first], interval[first]
    empty = np.flatnonzero(np.bincount(interval, minlength=len(cuts)) == 0)
    if empty.size:
        lower = np.concatenate([[0.0], cuts[:-1]])
        times = np.concatenate([times, (lower[empty] + cuts[empty]) / 2])
        fractions = np.concatenate([fractions, np.ones(empty.size)])
        order = np.argsort(times, kind="stable")
        times, fractions = times[order], fractions[order]
    return times, fractions


def _share_of_events(log_no_event, fraction, ops=None):
    """Share of an interval's event probability reached at ``fraction``.

    The event-free survival falls as ``exp(fraction * log_no_event)`` inside
    the interval, so the share is ``expm1(fraction * l) / expm1(l)``; an
    interval with (numerically) no event probability gives 0, with nothing
    to share. NumPy by default, Keras ops (in a traced function) with ``ops``.
    """
    xp = np if ops is None else ops
    whole = xp.minimum(xp.expm1(log_no_event), -1e-30)
    return xp.expm1(fraction * log_no_event) / whole


# --------------------------------------------------------------- estimator
class _DiscreteTimeNet(SurvivalAnalysisMixin, _BaseKerasNet):
    """Shared parameters, target and interval probabilities."""

    _parameter_constraints = {
        **_BaseKerasNet._parameter_constraints,
        "n_time_bins": [Interval(Integral, 1, None, closed="left")],
        "time_grid": [StrOptions({"quantile", "uniform"}), "array-like"],
        "time_smoothing": [Interval(Real, 0, None, closed="left")],
    }
    _y_numeric = True
    _validate_y = False  # a structured array: checked in _prepare_target
    _competing = False
    # the starting point of training (life-table bias, shared output kernel);
    # switches for benchmarks/bench_discrete_dev.py's "before" row only
    _init_output_bias = True
    _tied_output = True

    def __init__(
        self,
        hidden_layer_sizes=(32,),
        activation="relu",
        *,
        n_time_bins=10,
        time_grid="quantile",
        time_smoothing=10.0,
        dropout=0.0,
        alpha=1e-2,
        batch_normalization=False,
        skip_connection=True,
        architecture="dense",
        filters=32,
        kernel_size=9,
        conv_layers=1,
        recurrent="gru",
        recurrent_units=32,
        bidirectional=False,
        branches=None,
        ensemble_size=1,
        optimizer="adam",
        learning_rate_init=0.001,
        loss="auto",
        metrics=None,
        epochs=200,
        batch_size="auto",
        shuffle=True,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=20,
        model=None,
        model_kwargs=None,
        callbacks=None,
        random_state=None,
        verbose=0,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            dropout=dropout,
            alpha=alpha,
            batch_normalization=batch_normalization,
            skip_connection=skip_connection,
            architecture=architecture,
            filters=filters,
            kernel_size=kernel_size,
            conv_layers=conv_layers,
            recurrent=recurrent,
            recurrent_units=recurrent_units,
            bidirectional=bidirectional,
            branches=branches,
            ensemble_size=ensemble_size,
            optimizer=optimizer,
            learning_rate_init=learning_rate_init,
            loss=loss,
            metrics=metrics,
            epochs=epochs,
            batch_size=batch_size,
            shuffle=shuffle,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            model=model,
            model_kwargs=model_kwargs,
            callbacks=callbacks,
            random_state=random_state,
            verbose=verbose,
        )
        self.n_time_bins = n_time_bins
        self.time_grid = time_grid
        self.time_smoothing = time_smoothing

    def _prepare_target(self, X, y, sample_weight):
        event, time = _check_target(X, y, competing=self._competing)
        n_causes = int(event.max())
        missing = sorted(set(range(1, n_causes + 1)) - set(event.tolist()))
        if missing:
            raise ValueError(
                "Event codes must be 0 (censored) or 1..K with every cause present "
                f"in the training data; causes {missing} never occur below "
                f"K={n_causes}."
            )
        cuts = _make_grid(time, event, self.n_time_bins, self.time_grid)
        n_outputs = len(cuts) * n_causes
        if self.loss == "auto":
            from ._losses import discrete_time_survival_loss

            loss = discrete_time_survival_loss
        else:
            loss = self.loss
        step_times, step_fractions = _step_shape(time, event, cuts, sample_weight)
        attributes = {
            "time_grid_": cuts,
            "step_times_": step_times,
            "step_fractions_": step_fractions,
        }
        if self._competing:
            attributes["n_causes_"] = n_causes
        encoded = _encode_target(time, event, cuts, n_causes)
        return FitTarget(
            y=encoded,
            # logits: the loss applies the (softmax) link itself, stably
            n_outputs=n_outputs,
            activation="linear",
            loss=loss,
            sample_weight=sample_weight,
            meta={
                "n_outputs_": n_outputs,
                "n_outputs_expected_": n_outputs,
                "n_time_bins_": len(cuts),
                "n_causes_": n_causes,
                "target_type_": "survival",
                "y_dtype_": y.dtype,
                "y_ndim_": y.ndim,
            },
            attributes=attributes,
            # start from the life table: otherwise every hazard starts at 1/2
            # and small cohorts stop early long before the baseline is learnt
            output_bias=_marginal_logits(encoded, len(cuts), n_causes, sample_weight)
            if self._init_output_bias
            else None,
            # one risk score moves every interval's hazard at the start (a
            # proportional-odds model); intervals' own effects start at zero
            output_groups=len(cuts) if self._tied_output else 1,
            output_smoothing=self.time_smoothing / len(X) if self._tied_output else 0.0,
        )

    # ------------------------------------------------------------ helpers
    @property
    def _n_causes(self):
        return getattr(self, "n_causes_", 1)

    def _log_probabilities(self, X, logits=None):
        """Log-probabilities of "no event" (n, bins) and of each cause (n, bins, K).

        From ``logits`` (the network's output for ``X``) when given.
        """
        logits = self._forward(X) if logits is None else logits
        n_bins = len(self.time_grid_)
        if logits.shape[1] != n_bins * self._n_causes:
            raise ValueError(
                f"The network has {logits.shape[1]} outputs; a grid of {n_bins} "
                f"intervals and {self._n_causes} cause(s) needs "
                f"{n_bins * self._n_causes}. A custom model must output "
                "meta['n_outputs_'] units."
            )
        logits = logits.reshape(len(logits), n_bins, self._n_causes)
        log_norm = logsumexp(
            np.concatenate([np.zeros_like(logits[..., :1]), logits], axis=-1), axis=-1
        )
        return -log_norm, logits - log_norm[..., None]

    def _cumulative_hazard(self, X, logits=None):
        """``-log`` of the event-free survival at each grid point, (n, bins)."""
        log_no_event, _ = self._log_probabilities(X, logits)
        return -np.cumsum(log_no_event, axis=1)

    def _member_survival(self, X):
        """Each ensemble member's survival curve: knots (g,), values (n, members, g)."""
        members = self._forward_members(X)
        hazards = [
            self._cumulative_hazard(X, members[:, m]) for m in range(members.shape[1])
        ]
        return self._knots(), np.exp(-self._knot_values(np.stack(hazards, axis=1)))

    def _steps(self):
        """``step_times_`` and ``step_fractions_``, and where each falls.

        A model fitted before they existed (2026-11-29, unpickled or loaded
        from a file) keeps its curves: one step halfway through each
        interval.
        """
        cuts = self.time_grid_
        times = getattr(self, "step_times_", None)
        if times is None:
            times = (np.concatenate([[0.0], cuts[:-1]]) + cuts) / 2
            fractions = np.ones(len(cuts))
        else:
            fractions = self.step_fractions_
        return times, fractions, np.searchsorted(cuts, times, side="left")

    def _knots(self):
        """Where the step curves step: 0, the step times, the grid's end."""
        times, _, _ = self._steps()
        return self._from_knots([0.0], times, self.time_grid_[-1:])

    def _knot_widths(self):
        """How long the curves hold each knot's value, up to the grid's end."""
        return np.diff(np.append(self._knots(), self.time_grid_[-1]))

    def _from_knots(self, start, inside, end):
        """``start`` at 0, ``inside`` at the step times, then ``end`` from the
        grid's end unless the last step time is the grid's end (last axis)."""
        times, _, _ = self._steps()
        parts = [start, inside]
        if times[-1] != self.time_grid_[-1]:
            parts.append(end)
        return np.concatenate(parts, axis=-1)

    def _knot_values(self, hazard):
        """Cumulative hazards (..., bins) at the grid, then from each knot on.

        0 from time 0; at each step time, the cumulative hazard at its
        interval's start plus ``step_fractions_`` of the interval's rise;
        the last value to the grid's end.
        """
        start = np.zeros(hazard.shape[:-1] + (1,))
        before = np.concatenate([start, hazard[..., :-1]], axis=-1)
        _, fractions, interval = self._steps()
        rise = hazard[..., interval] - before[..., interval]
        inside = before[..., interval] + fractions * rise
        return self._from_knots(start, inside, hazard[..., -1:])

    def _step_functions(self, hazard, survival):
        """StepFunctions from 0 through the grid's end, of the cumulative
        ``hazard`` at the grid (or of the survival, ``exp(-hazard)``)."""
        x = self._knots()
        values = self._knot_values(hazard)
        if survival:
            values = np.exp(-values)
        return np.array([StepFunction(x, row) for row in values])

    def predict_survival_function(self, X, return_array=False):
        """Probability of being event-free beyond each time (of any cause).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Patients, with the features seen in ``fit``.
        return_array : bool, default=False
            If True, an array of the survival probabilities at the grid
            points ``time_grid_``; otherwise
            :class:`sksurv.functions.StepFunction` objects: 1 from time 0,
            stepping at ``step_times_`` (the training event times) from the
            survival at an interval's start to the survival at its end, as
            the training cohort's Nelson-Aalen estimator rises there (so
            they equal the model at every grid point), defined up to the
            last grid point.

        Returns
        -------
        survival : ndarray
            Of :class:`~sksurv.functions.StepFunction` objects, or of shape
            (n_samples, n_bins) with ``return_array=True``, where
            ``n_bins = len(time_grid_)``.
        """
        check_is_fitted(self)
        hazard = self._cumulative_hazard(X)
        if return_array:
            return np.exp(-hazard)
        return self._step_functions(hazard, survival=True)

    def predict_cumulative_hazard_function(self, X, return_array=False):
        """Cumulative hazard ``-log S(t)`` of each patient (of any cause).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Patients.
        return_array : bool, default=False
            If True, an array of the cumulative hazard at ``time_grid_``;
            otherwise :class:`sksurv.functions.StepFunction` objects.

        Returns
        -------
        cum_hazard : ndarray
            Of :class:`~sksurv.functions.StepFunction` objects, or of shape
            (n_samples, n_bins) with ``return_array=True``, where
            ``n_bins = len(time_grid_)``.
        """
        check_is_fitted(self)
        hazard = self._cumulative_hazard(X)
        return hazard if return_array else self._step_functions(hazard, survival=False)

    def _check_horizon(self, horizon):
        check_is_fitted(self)
        horizon = float(horizon)
        if not 0 <= horizon <= self.time_grid_[-1]:
            raise ValueError(
                f"horizon must be within [0, {self.time_grid_[-1]:g}] (the last grid "
                f"point); got {horizon:g}."
            )
        return horizon

    def _horizon_position(self, horizon):
        """Where the survival curve is at ``horizon``: intervals whole, and
        the fraction of the next one's rise (the last step time passed)."""
        horizon = self._check_horizon(horizon)
        times, fractions, intervals = self._steps()
        step = int(np.searchsorted(times, horizon, side="right")) - 1
        if step < 0:
            return 0, 0.0
        interval, fraction = int(intervals[step]), float(fractions[step])
        return (interval + 1, 0.0) if fraction == 1.0 else (interval, fraction)


_GRID_ATTRIBUTES = """\
time_grid_ : ndarray of shape (n_bins,)
    Right ends of the intervals; the first interval starts at 0 (and
    holds events at time 0). ``n_bins`` is ``n_time_bins``, or fewer
    when quantiles of the event times tie, or the number of cut points
    given.
step_times_ : ndarray of shape (n_steps,)
    Where the step functions step: the distinct event times of the
    training rows up to the last grid point (the middle of an interval
    without one).
step_fractions_ : ndarray of shape (n_steps,)
    How far through its interval's rise of the cumulative hazard each
    step goes, from the training cohort's Nelson-Aalen estimator; 1 at
    the last step of each interval."""


_DISCRETE_PARAMETERS = """\
n_time_bins : int, default=10
    Number of intervals of the time grid when ``time_grid`` is
    ``"quantile"`` or ``"uniform"`` (fewer if quantiles tie). Each
    interval's baseline hazard is learnt from the events in it: the default
    leaves a cohort of 100 events about ten per interval.
time_grid : {"quantile", "uniform"} or array-like, default="quantile"
    Where the intervals end: at the quantiles of the training event times
    (each interval holds about as many events), evenly from 0 to the last
    event time, or at the given strictly increasing positive cut points.
    Times after the last cut are censored there.
time_smoothing : float, default=10.0
    How closely each interval's own covariate effects (what it adds to the
    effects all intervals share) follow the neighbouring intervals'. The
    output layer is penalised by ``time_smoothing / n_samples`` times the
    summed squared changes of those effects between adjacent intervals
    (and the first interval's own effects), instead of by ``alpha``. Large
    values approach the proportional-odds model, one risk score moving
    every interval's hazard alike; 0 leaves each interval's effects free
    but for ``alpha``. Divided by the number of rows of the fit (of the
    first batch for ``partial_fit``), so the penalty's weight against the
    data does not grow with the cohort. The default was chosen on
    development cohorts (see the accuracy guide)."""


@_docstrings.fill(
    discrete_parameters=_DISCRETE_PARAMETERS,
    grid_attributes=_GRID_ATTRIBUTES,
    network_parameters=_docstrings.DISCRETE_NETWORK_PARAMETERS,
    common_attributes=_docstrings.COMMON_ATTRIBUTES,
    auto_loss='``"auto"`` is the negative log-likelihood of the discrete-time\n'
    "        model (censored patients contribute their survival up to their\n"
    "        interval).",
    stratified="",
)
class KerasNetDiscreteTimeSurvivalAnalysis(_DiscreteTimeNet):
    """Discrete-time (logistic-hazard) survival network, scikit-learn API.

    The time axis is cut into ``n_time_bins`` intervals learned from the
    training times; for each interval the network outputs the logit of the
    hazard, the probability of the event in that interval for a patient
    event-free at its start (nnet-survival [1]_, pycox's ``LogisticHazard``
    [2]_). Each interval has its own output, so a covariate may raise the
    hazard early and lower it later: unlike the Cox model, hazards need not
    be proportional. It speaks scikit-survival's contract:

    * ``y`` is a structured array of (boolean event, time >= 0), as made by
      :meth:`sksurv.util.Surv.from_arrays`;
    * ``predict`` returns the risk score: minus the restricted mean survival
      time up to the last grid point (higher means an earlier event);
    * ``score`` is Harrell's concordance index;
    * ``predict_survival_function`` and ``predict_cumulative_hazard_function``
      return :class:`sksurv.functions.StepFunction` objects (or arrays at
      the grid points ``time_grid_``), so scikit-survival's time-dependent
      scorers work in a grid search. They equal the model at the grid
      points and, inside an interval, step at the training event times as
      the training cohort's Nelson-Aalen estimator rises (a hazard
      proportional to the cohort's within the interval, the way Breslow's
      estimator shapes a Cox model's curves).

    The output layer is linear (logits); the loss applies the sigmoid in
    log space, which stays finite for any logit.

    Parameters
    ----------
    %(network_parameters)s
    %(discrete_parameters)s

    Attributes
    ----------
    %(grid_attributes)s
    %(common_attributes)s

    See Also
    --------
    KerasNetSurvivalAnalysis : The deep Cox model (proportional hazards).
    KerasNetCompetingRisks : Several competing causes of the event.

    References
    ----------
    .. [1] Gensheimer and Narasimhan. "A scalable discrete-time survival
       model for neural networks." PeerJ 7:e6257 (2019).
    .. [2] Kvamme and Borgan. "Continuous and discrete-time survival
       prediction with neural networks." Lifetime Data Analysis 27 (2021).

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sksurv.datasets import load_whas500
    >>> from skprecmed import KerasNetDiscreteTimeSurvivalAnalysis
    >>> X, y = load_whas500()
    >>> X = X[["age", "bmi", "hr", "sysbp", "diasbp"]].to_numpy()
    >>> model = make_pipeline(
    ...     StandardScaler(),
    ...     KerasNetDiscreteTimeSurvivalAnalysis(
    ...         n_time_bins=10, epochs=20, batch_size=128, learning_rate_init=0.01,
    ...         random_state=0,
    ...     ),
    ... ).fit(X, y)
    >>> bool(model.score(X, y) > 0.7)
    True
    >>> model.predict_survival_function(X[:2], return_array=True).shape
    (2, 10)
    """

    def predict(self, X):
        """Risk score: minus the restricted mean survival time.

        The restricted mean survival time is the area under the predicted
        survival function (its step function) from 0 to the last grid
        point, in the units of the training times.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Patients, with the features seen in ``fit``.

        Returns
        -------
        risk : ndarray of shape (n_samples,)
            Higher means an earlier event.
        """
        check_is_fitted(self)
        widths = self._knot_widths()
        return _by_chunks(
            lambda hazard: -(np.exp(-self._knot_values(hazard)) @ widths),
            self._cumulative_hazard(X),
        )

    def _explained_output(self, horizon, target):
        """Tensor function: survival probability at ``horizon`` per sample."""
        if target is not None:
            raise ValueError(
                "With horizon=, the discrete-time model explains the survival "
                f"probability at that time; target must be None, got {target!r}."
            )
        n_whole, fraction = self._horizon_position(horizon)

        def survival_at_horizon(logits, ops):
            log_no_event = -ops.softplus(logits[:, : n_whole + 1])
            log_survival = ops.sum(log_no_event[:, :n_whole], axis=1)
            if fraction:
                log_survival = log_survival + fraction * log_no_event[:, n_whole]
            return ops.exp(log_survival)

        return survival_at_horizon


@_docstrings.fill(
    discrete_parameters=_DISCRETE_PARAMETERS,
    grid_attributes=_GRID_ATTRIBUTES,
    network_parameters=_docstrings.DISCRETE_NETWORK_PARAMETERS,
    common_attributes=_docstrings.COMMON_ATTRIBUTES,
    auto_loss='``"auto"`` is the negative log-likelihood of the discrete-time\n'
    "        cause-specific hazards (censored patients contribute their\n"
    "        event-free survival up to their interval).",
    stratified="",
)
class KerasNetCompetingRisks(_DiscreteTimeNet):
    """Discrete-time competing-risks network, scikit-learn API.

    A patient may meet one of ``K`` events (relapse, death in remission,
    ...), whichever comes first. The time axis is cut into ``n_time_bins``
    intervals learned from the training times of every cause; for each
    interval the network outputs ``K`` logits, and a softmax over "no
    event" (logit 0) and the ``K`` causes gives each cause's probability in
    that interval for a patient event-free at its start (the discrete
    cause-specific hazards). The likelihood handles censoring as
    :class:`KerasNetDiscreteTimeSurvivalAnalysis` does; hazards of each cause
    vary freely over time.

    * ``y`` follows scikit-survival's competing-risk data
      (:func:`sksurv.datasets.load_bmt`): a structured array of (integer
      event code, time >= 0), 0 censored and 1..K the cause, every cause
      present in the training data (a boolean event field is one cause);
    * :meth:`predict_cumulative_incidence` gives each cause's cumulative
      incidence per patient, at the grid points;
    * ``predict(X, cause=1)`` is the restricted mean time lost to that
      cause up to the last grid point (higher means more risk of it);
    * ``score`` is the concordance index of cause 1 (competing events
      counted as censored); :meth:`concordance_index` scores any cause.

    Parameters
    ----------
    %(network_parameters)s
    %(discrete_parameters)s

    Attributes
    ----------
    %(grid_attributes)s
    n_causes_ : int
        Number of causes ``K`` (the largest event code in ``fit``).
    %(common_attributes)s

    See Also
    --------
    sksurv.nonparametric.cumulative_incidence_competing_risks : The
        Aalen-Johansen estimate, without covariates.
    KerasNetDiscreteTimeSurvivalAnalysis : A single event.

    References
    ----------
    .. [1] Tutz and Schmid. "Modeling Discrete Time-to-Event Data", chapter 8
       (competing risks). Springer (2016).

    Examples
    --------
    >>> import numpy as np
    >>> from sksurv.datasets import load_bmt
    >>> from skprecmed import KerasNetCompetingRisks
    >>> X, y = load_bmt()
    >>> X = (X["dis"] == "1").to_numpy(float).reshape(-1, 1)  # ALL vs AML
    >>> model = KerasNetCompetingRisks(
    ...     n_time_bins=5, epochs=5, learning_rate_init=0.01, random_state=0
    ... ).fit(X, y)
    >>> times, incidence = model.predict_cumulative_incidence(X[:3])
    >>> incidence.shape  # patients x causes x grid points
    (3, 2, 5)
    >>> bool(np.all(incidence.sum(axis=1) <= 1))
    True
    """

    _competing = True

    def predict_cumulative_incidence(self, X):
        """Cumulative incidence of each cause per patient, at the grid points.

        The probability of having met cause ``k`` by time ``t``, competing
        causes taken into account: the sum over intervals up to ``t`` of the
        event-free survival at the interval's start times the cause's
        probability in it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Patients, with the features seen in ``fit``.

        Returns
        -------
        time : ndarray of shape (n_bins,)
            The grid, ``time_grid_``.
        cum_incidence : ndarray of shape (n_samples, n_causes, n_bins)
            ``cum_incidence[i, k - 1, j]`` is patient ``i``'s probability of
            cause ``k`` by ``time[j]``.
        """
        check_is_fitted(self)
        log_no_event, log_cause = self._log_probabilities(X)
        survival = np.exp(np.cumsum(log_no_event, axis=1))
        before = np.hstack([np.ones((len(survival), 1)), survival[:, :-1]])
        incidence = np.cumsum(before[..., None] * np.exp(log_cause), axis=1)
        return self.time_grid_.copy(), incidence.transpose(0, 2, 1)

    def _check_cause(self, cause):
        check_is_fitted(self)
        if not (
            isinstance(cause, Integral | np.integer)
            and not isinstance(cause, bool)
            and 1 <= cause <= self.n_causes_
        ):
            raise ValueError(
                f"cause must be an integer in 1..{self.n_causes_}; got {cause!r}."
            )
        return int(cause)

    def predict(self, X, cause=1):
        """Risk score for one cause: restricted mean time lost to it.

        The area under the cause's cumulative incidence from 0 to the last
        grid point, in the units of the training times. Inside an interval
        the incidence steps at ``step_times_`` with the survival functions,
        each cause taking its share of the interval's events.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Patients.
        cause : int, default=1
            The cause, 1..``n_causes_``.

        Returns
        -------
        risk : ndarray of shape (n_samples,)
            Higher means more, or earlier, risk of that cause.
        """
        cause = self._check_cause(cause)
        log_no_event, log_cause = self._log_probabilities(X)
        widths = self._knot_widths()
        return _by_chunks(
            lambda *logs: self._incidence_at_knots(*logs, cause) @ widths,
            log_no_event,
            log_cause,
        )

    def _incidence_at_knots(self, log_no_event, log_cause, cause):
        """Cumulative incidence of ``cause`` from each knot on, (n, knots).

        From the log-probabilities of :meth:`_log_probabilities`. Inside an
        interval the causes keep their shares of its events: at a step time,
        the cause gains its share of the fall of the event-free survival so
        far in the interval, which follows ``step_fractions_``. With one
        cause it is one minus the survival function.
        """
        survival = np.exp(np.cumsum(log_no_event, axis=1))
        before = np.hstack([np.ones((len(survival), 1)), survival[:, :-1]])
        occurred = before * np.exp(log_cause[..., cause - 1])  # in each interval
        start = np.hstack([np.zeros((len(occurred), 1)), np.cumsum(occurred, axis=1)])
        _, fractions, interval = self._steps()
        reached = _share_of_events(log_no_event[:, interval], fractions)
        return self._from_knots(
            np.zeros((len(occurred), 1)),
            start[:, interval] + reached * occurred[:, interval],
            start[:, -1:],
        )

    def concordance_index(self, X, y, cause=1):
        """Cause-specific Harrell's concordance index.

        Events of other causes are counted as censored at their time, and
        patients are ranked by ``predict(X, cause)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Patients.
        y : structured array of shape (n_samples,)
            (integer event code, time), as in ``fit``.
        cause : int, default=1
            The cause scored.

        Returns
        -------
        cindex : float
            Harrell's concordance index for that cause.
        """
        cause = self._check_cause(cause)
        event, time = _check_target(X, y, competing=True, require_event=False)
        if event.max() > self.n_causes_:
            raise ValueError(
                f"Event codes must be in 0..{self.n_causes_} (the causes seen in "
                f"fit); got {int(event.max())}."
            )
        risk = self.predict(X, cause)
        return concordance_index_censored(event == cause, time, risk)[0]

    def score(self, X, y):
        """Concordance index of cause 1 (see :meth:`concordance_index`).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Patients.
        y : structured array of shape (n_samples,)
            (integer event code, time), as in ``fit``.

        Returns
        -------
        cindex : float
            Harrell's concordance index for that cause.
        """
        return self.concordance_index(X, y, cause=1)

    def _explained_output(self, horizon, target):
        """Tensor function: cumulative incidence of cause ``target`` at ``horizon``."""
        cause = self._check_cause(1 if target is None else target)
        n_whole, fraction = self._horizon_position(horizon)
        n_bins, n_causes = len(self.time_grid_), self.n_causes_

        def incidence_at_horizon(logits, ops):
            logits = ops.reshape(logits, (-1, n_bins, n_causes))[:, : n_whole + 1]
            log_norm = ops.logsumexp(
                ops.concatenate([ops.zeros_like(logits[..., :1]), logits], axis=-1),
                axis=-1,
            )
            log_survival = ops.cumsum(-log_norm, axis=1)
            log_before = log_survival - (-log_norm)  # survival at each start
            log_cause = logits[..., cause - 1] - log_norm
            occurred = ops.exp(log_before + log_cause)
            incidence = ops.sum(occurred[:, :n_whole], axis=1)
            if fraction:
                reached = _share_of_events(-log_norm[:, n_whole], fraction, ops)
                incidence = incidence + reached * occurred[:, n_whole]
            return incidence

        return incidence_at_horizon
