"""Keras losses of skprecmed (imported lazily: this module imports Keras)."""

from ._keras import import_keras

# through import_keras, so that a survival fit (whose loss is imported first)
# starts TensorFlow as quietly as the others
_, keras = import_keras()
ops = keras.ops


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


def _member_loss(loss, y_true, y_pred):
    """Per-sample ``loss`` of one member's outputs (Keras' rank matching)."""
    if isinstance(loss, keras.losses.Loss):
        return loss.call(y_true, y_pred)
    if len(y_true.shape) == len(y_pred.shape) - 1 and y_pred.shape[-1] == 1:
        y_true = ops.expand_dims(y_true, -1)
    return loss(y_true, y_pred)


@keras.saving.register_keras_serializable(package="skprecmed")
class MemberMeanLoss(keras.losses.Loss):
    """The mean of a loss over the members of an ensemble trained as one model.

    The model's output holds ``ensemble_size`` members' outputs side by side
    (``(batch, ensemble_size * n_outputs)``); each member's slice is scored
    against the same ``y_true`` with ``loss`` and the scores are averaged, so
    each member learns as if it were trained alone, in one graph.

    Parameters
    ----------
    loss : str, callable or keras.losses.Loss
        The members' loss.
    ensemble_size : int
        Number of members.
    name : str, default="member_mean_loss"
    reduction : str, default="sum_over_batch_size"
    dtype : str or None, default=None
    """

    def __init__(
        self,
        loss,
        ensemble_size,
        name="member_mean_loss",
        reduction="sum_over_batch_size",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.loss = keras.losses.get(loss) if isinstance(loss, str | dict) else loss
        self.ensemble_size = int(ensemble_size)

    def call(self, y_true, y_pred):
        members = ops.split(y_pred, self.ensemble_size, axis=-1)
        losses = [_member_loss(self.loss, y_true, member) for member in members]
        return ops.mean(ops.stack(losses, axis=0), axis=0)

    def get_config(self):
        return {
            **super().get_config(),
            "loss": keras.losses.serialize(self.loss),
            "ensemble_size": self.ensemble_size,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["loss"] = keras.losses.deserialize(config["loss"])
        return cls(**config)


@keras.saving.register_keras_serializable(package="skprecmed")
def discrete_time_survival_loss(y_true, y_pred):
    """Negative log-likelihood of a discrete-time (cause-specific) hazard model.

    The time axis is cut into ``n_bins`` intervals. For each interval the
    network outputs one logit per cause; with the logit of "no event" fixed
    at 0, a softmax gives the probability of each cause in that interval for
    a patient still at risk at its start. With one cause this is the
    logistic-hazard model (nnet-survival, pycox's ``LogisticHazard``): the
    hazard of the interval is the sigmoid of its logit.

    A patient contributes the probability of "no event" for every interval
    survived, and, if the event happened, the probability of its cause in
    the event's interval. ``y_true`` encodes both, as in nnet-survival's
    ``make_surv_array``: the number of intervals and causes are read from
    the widths of ``y_true`` and ``y_pred``.

    Parameters
    ----------
    y_true : tensor of shape (batch, n_bins + n_bins * n_causes)
        First ``n_bins`` columns: 1.0 for each interval the patient
        survived. Then ``n_bins * n_causes`` columns, interval-major: 1.0
        at (interval, cause) of the event, zeros for a censored patient.
    y_pred : tensor of shape (batch, n_bins * n_causes)
        Logits, interval-major (the ``n_causes`` logits of interval 0
        first).

    Returns
    -------
    loss : tensor of shape (batch,)
        Minus the log-likelihood of each patient.
    """
    y_true = ops.cast(y_true, y_pred.dtype)
    n_outputs = ops.shape(y_pred)[-1]
    n_bins = ops.shape(y_true)[-1] - n_outputs
    n_causes = n_outputs // n_bins
    logits = ops.reshape(y_pred, (-1, n_bins, n_causes))
    # log(1 + sum_k exp(z_k)): the normaliser with "no event" at logit 0
    log_norm = ops.logsumexp(
        ops.concatenate([ops.zeros_like(logits[..., :1]), logits], axis=-1),
        axis=-1,
    )
    survived = y_true[:, :n_bins]
    event = ops.reshape(y_true[:, n_bins:], (-1, n_bins, n_causes))
    log_likelihood = -ops.sum(survived * log_norm, axis=1) + ops.sum(
        event * (logits - ops.expand_dims(log_norm, -1)), axis=(1, 2)
    )
    return -log_likelihood
