"""Pictures of training (matplotlib, the ``plot`` extra)."""

import numpy as np

from ._utils import final_estimator


def plot_learning_curve(estimator, ax=None):
    """Plot training (and validation) loss per epoch from ``history_``.

    Parameters
    ----------
    estimator : fitted skprecmed estimator, or a pipeline ending in one
        Its ``history_`` is drawn.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure's axes by default.

    Returns
    -------
    ax : matplotlib Axes
        The axes drawn on.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_breast_cancer
    >>> from skprecmed import KerasNetClassifier, plot_learning_curve
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = KerasNetClassifier(epochs=5, random_state=0).fit(X, y)
    >>> [line.get_label() for line in plot_learning_curve(clf).get_lines()]
    ['training loss', 'validation loss']
    """
    import matplotlib.pyplot as plt

    final = final_estimator(estimator)
    history = getattr(final, "history_", None)
    if history is None:
        raise ValueError(
            f"{type(final).__name__} has no history_: fit a skprecmed estimator first."
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    epochs = range(1, len(history["loss"]) + 1)
    ax.plot(epochs, history["loss"], marker=".", label="training loss")
    if "val_loss" in history:
        ax.plot(epochs, history["val_loss"], marker=".", label="validation loss")
    ax.set(xlabel="epoch", ylabel="loss")
    ax.legend()
    return ax


def plot_survival_calibration(table, ax=None):
    """Plot predicted against observed survival, with the bootstrap band.

    One line per time of ``table``: each risk group's mean predicted
    survival (x) against its Kaplan-Meier survival (y), the shaded band the
    observed value's bootstrap interval; a calibrated model lies on the
    diagonal.

    Parameters
    ----------
    table : DataFrame
        The result of :func:`survival_calibration`.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure's axes by default.

    Returns
    -------
    ax : matplotlib Axes
        The first line is the diagonal, then one line (and one band) per
        time.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from skprecmed import plot_survival_calibration
    >>> table = pd.DataFrame({
    ...     "time": [1.0, 1.0], "risk_group": [1, 2], "n": [50, 50],
    ...     "predicted": [0.8, 0.4], "observed": [0.75, 0.45],
    ...     "lower": [0.6, 0.3], "upper": [0.9, 0.6],
    ... })
    >>> [line.get_label() for line in plot_survival_calibration(table).get_lines()]
    ['ideal', 't = 1']
    """
    import matplotlib.pyplot as plt

    _check_columns(table, ["time", "predicted", "observed", "lower", "upper"])
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot([0, 1], [0, 1], color="0.6", linestyle="--", label="ideal")
    for time, rows in table.groupby("time", sort=True):
        _line_with_band(ax, rows.sort_values("predicted"), label=f"t = {time:g}")
    ax.set(
        xlabel="predicted survival",
        ylabel="observed survival (Kaplan-Meier)",
        xlim=(0, 1),
        ylim=(0, 1),
    )
    ax.legend()
    return ax


def plot_calibration(table, ax=None, label=None):
    """Plot predicted risk against observed frequency, with the interval band.

    Each bin's mean predicted probability (x) against the observed fraction
    of positive patients (y), the shaded band the observed fraction's
    interval; a calibrated model lies on the diagonal, and a bin whose band
    misses the diagonal is miscalibrated. Call it again on the same ``ax``
    with another ``label`` to compare models.

    Parameters
    ----------
    table : DataFrame
        The result of :func:`classification_calibration`.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure's axes by default.
    label : str, default=None
        Legend label of the curve; ``"observed"`` by default.

    Returns
    -------
    ax : matplotlib Axes
        The first line is the diagonal (drawn once per axes), then the curve
        (and its band).

    See Also
    --------
    classification_calibration : Compute the table.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from skprecmed import plot_calibration
    >>> table = pd.DataFrame({
    ...     "bin": [1, 2], "n": [50, 50], "predicted": [0.1, 0.7],
    ...     "observed": [0.12, 0.64], "lower": [0.06, 0.5], "upper": [0.24, 0.76],
    ... })
    >>> ax = plot_calibration(table, label="logistic")
    >>> [line.get_label() for line in ax.get_lines()]
    ['ideal', 'logistic']
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('predicted risk', 'observed frequency')
    """
    import matplotlib.pyplot as plt

    _check_columns(table, ["predicted", "observed", "lower", "upper"])
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4.5))
    if not any(line.get_label() == "ideal" for line in ax.get_lines()):
        ax.plot([0, 1], [0, 1], color="0.6", linestyle="--", label="ideal")
    _line_with_band(
        ax,
        table.sort_values("predicted"),
        label="observed" if label is None else label,
    )
    ax.set(
        xlabel="predicted risk",
        ylabel="observed frequency",
        xlim=(0, 1),
        ylim=(0, 1),
    )
    ax.legend()
    return ax


def plot_subgroup_coverage(table, coverage=None, ax=None):
    """Bar chart of the coverage of conformal sets or intervals per subgroup.

    Parameters
    ----------
    table : DataFrame
        The result of :func:`performance_intervals` with ``groups`` and a
        :class:`ConformalClassifier` or :class:`ConformalRegressor`: its
        ``coverage`` rows are drawn, with their confidence intervals as
        error bars.
    coverage : float, default=None
        The target coverage, drawn as a horizontal line.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure's axes by default.

    Returns
    -------
    ax : matplotlib Axes
        One bar per group, in the table's order.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from skprecmed import plot_subgroup_coverage
    >>> table = pd.DataFrame({
    ...     "group": ["all", "F", "M"], "metric": ["coverage"] * 3,
    ...     "estimate": [0.9, 0.88, 0.92], "lower": [0.85, 0.8, 0.85],
    ...     "upper": [0.95, 0.95, 0.97], "n": [200, 100, 100],
    ... })
    >>> ax = plot_subgroup_coverage(table, coverage=0.9)
    >>> [round(float(bar.get_height()), 2) for bar in ax.patches]
    [0.9, 0.88, 0.92]
    """
    import matplotlib.pyplot as plt

    _check_columns(table, ["group", "metric", "estimate", "lower", "upper"])
    rows = table[table["metric"] == "coverage"]
    if rows.empty:
        raise ValueError(
            "The table has no coverage rows: pass a Conformal* estimator and groups "
            "to performance_intervals."
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(1 + 0.8 * len(rows), 3.5))
    labels = [f"{g}\n(n={n})" for g, n in zip(rows["group"], rows["n"], strict=True)]
    estimate = rows["estimate"].to_numpy()
    error = [estimate - rows["lower"].to_numpy(), rows["upper"].to_numpy() - estimate]
    ax.bar(labels, estimate, yerr=error, capsize=4, color="C0")
    if coverage is not None:
        ax.axhline(coverage, color="C3", linestyle="--", label=f"target {coverage:g}")
        ax.legend(loc="lower right")
    ax.set(ylabel="coverage", ylim=(0, 1.05))
    return ax


def _line_with_band(ax, rows, label):
    """Observed against predicted, with the observed value's interval shaded."""
    (line,) = ax.plot(rows["predicted"], rows["observed"], marker="o", label=label)
    ax.fill_between(
        rows["predicted"],
        rows["lower"],
        rows["upper"],
        color=line.get_color(),
        alpha=0.2,
    )


def _check_columns(table, columns):
    missing = [c for c in columns if c not in getattr(table, "columns", ())]
    if missing:
        raise ValueError(f"table lacks the columns {missing}.")


def plot_survival_intervals(result, patient=0, ax=None, label=None):
    """Plot one patient's survival curve with its interval band.

    Draws a :func:`survival_intervals` result computed on a grid of times:
    the mean survival as a step curve, the interval as a shaded band. Call
    it once per treatment option on the same ``ax`` (with ``X`` set to that
    option) to compare the arms.

    Parameters
    ----------
    result : :class:`~sklearn.utils.Bunch`
        The result of :func:`survival_intervals`.
    patient : int, default=0
        Row of ``X`` to draw.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure's axes by default.
    label : str, default=None
        Legend label of the curve.

    Returns
    -------
    ax : matplotlib Axes
        The axes drawn on.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn.utils import Bunch
    >>> from skprecmed import plot_survival_intervals
    >>> times = np.array([1.0, 2.0, 3.0])
    >>> result = Bunch(times=times, survival=np.array([[0.9, 0.7, 0.5]]),
    ...                lower=np.array([[0.85, 0.6, 0.4]]),
    ...                upper=np.array([[0.95, 0.8, 0.6]]))
    >>> ax = plot_survival_intervals(result, label="drug A")
    >>> [line.get_label() for line in ax.get_lines()]
    ['drug A']
    """
    import matplotlib.pyplot as plt

    missing = [k for k in ("times", "survival", "lower", "upper") if k not in result]
    if missing:
        raise ValueError(
            f"result lacks {missing}: pass what survival_intervals returns."
        )
    n_patients = len(result["survival"])
    if not isinstance(patient, int) or not -n_patients <= patient < n_patients:
        raise ValueError(
            f"patient must be a row index below {n_patients}; got {patient!r}."
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    times = np.concatenate([[0.0], result["times"]])

    def with_start(values):
        return np.concatenate([[1.0], values[patient]])

    (line,) = ax.step(times, with_start(result["survival"]), where="post", label=label)
    ax.fill_between(
        times,
        with_start(result["lower"]),
        with_start(result["upper"]),
        step="post",
        color=line.get_color(),
        alpha=0.2,
    )
    ax.set(xlabel="time", ylabel="survival probability", ylim=(0, 1.02))
    if label is not None:
        ax.legend()
    return ax
