"""Pictures of training (matplotlib, the ``plot`` extra)."""

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

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_breast_cancer
    >>> from skprecmed import KerasNetClassifier, plot_learning_curve
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = KerasNetClassifier(epochs=5, early_stopping=True, random_state=0).fit(X, y)
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
