"""Keras losses of skprecmed (imported lazily: this module imports Keras)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="skprecmed")
def cox_ph_loss(y_true, y_pred):
    """Negative Cox partial log-likelihood, Breslow's handling of ties.

    ``y_true`` holds ``(time, event)`` per row, ``y_pred`` the log-risk. The
    risk set of an event at time ``t`` is every sample of the batch with
    time ``>= t`` (tied times are all at risk: Breslow). Returned per sample,
    zero for censored rows and scaled so that Keras' mean over the batch is
    the partial likelihood divided by the number of events in the batch.

    Parameters
    ----------
    y_true : tensor of shape (batch, 2)
        Time, then event indicator (1.0 event, 0.0 censored).
    y_pred : tensor of shape (batch, 1)
        Log-risk of each sample.

    Returns
    -------
    loss : tensor of shape (batch,)
    """
    time = y_true[:, 0]
    event = ops.cast(y_true[:, 1], y_pred.dtype)
    log_risk = ops.reshape(y_pred, (-1,))
    at_risk = ops.cast(
        ops.greater_equal(ops.expand_dims(time, 0), ops.expand_dims(time, 1)),
        y_pred.dtype,
    )
    # log sum_{j at risk at t_i} exp(eta_j); the diagonal keeps it finite
    log_denominator = ops.logsumexp(
        ops.expand_dims(log_risk, 0) + ops.log(at_risk), axis=1
    )
    n = ops.cast(ops.shape(log_risk)[0], y_pred.dtype)
    n_events = ops.maximum(ops.sum(event), 1.0)
    return event * (log_denominator - log_risk) * n / n_events
