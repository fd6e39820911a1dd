"""Learning curves drawn from history_."""

import numpy as np
import pytest

from skprecmed import KerasNetClassifier, plot_learning_curve

from ._instances import fast

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


def test_learning_curve_draws_history(tiny):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = tiny
    X = np.vstack([X] * 5)
    y = np.concatenate([y] * 5)
    pipe = make_pipeline(
        StandardScaler(), KerasNetClassifier(**fast(early_stopping=True))
    ).fit(X, y)
    ax = plot_learning_curve(pipe)
    train, val = ax.get_lines()
    history = pipe[-1].history_
    np.testing.assert_array_equal(train.get_ydata(), history["loss"])
    np.testing.assert_array_equal(val.get_ydata(), history["val_loss"])
    np.testing.assert_array_equal(
        train.get_xdata(), np.arange(1, len(history["loss"]) + 1)
    )


def test_unfitted_estimator_has_no_curve():
    with pytest.raises(ValueError, match="has no history_"):
        plot_learning_curve(KerasNetClassifier())
