"""
Finding a regulatory motif in DNA, and seeing it
================================================

Random DNA sequences, half of which carry the cAMP response element
``TGACGTCA`` at a random position: the class is decided by the motif alone.
A pipeline of :class:`~skprecmed.SequenceEncoder` (one-hot) and a 1-D
convolutional network learns it, a recurrent network learns it too once it
reads in both directions, and integrated gradients show which positions
drove each prediction: they peak on the motif.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from skprecmed import KerasNetClassifier, SequenceEncoder, feature_attributions

MOTIF = "TGACGTCA"
rng = np.random.RandomState(0)
sequences, labels, starts = [], [], []
for i in range(1000):
    seq = list(rng.choice(list("ACGT"), size=60))
    start = rng.randint(0, 60 - len(MOTIF)) if i % 2 else -1
    if start >= 0:
        seq[start : start + len(MOTIF)] = MOTIF
    sequences.append("".join(seq))
    labels.append(i % 2)
    starts.append(start)
X, y, starts = np.array(sequences), np.array(labels), np.array(starts)
X_train, X_test, y_train, y_test, _, starts_test = train_test_split(
    X, y, starts, test_size=0.3, random_state=0
)

# %%
# Two networks, one question
# --------------------------
# A convolution filter as wide as the motif is a motif detector applied at
# every position (a learned position weight matrix), and the global max
# pooling that follows it asks "is the motif anywhere?": the question the
# data pose. A recurrent network reads one base at a time and must learn to
# remember, until the last base, that it has passed the motif.
shared = {"hidden_layer_sizes": (8,), "learning_rate_init": 0.01, "random_state": 0}
cnn = make_pipeline(
    SequenceEncoder(),
    KerasNetClassifier(
        architecture="cnn1d", filters=16, kernel_size=8, epochs=20, **shared
    ),
)
rnn = make_pipeline(
    SequenceEncoder(),
    KerasNetClassifier(
        architecture="rnn",
        recurrent_units=32,
        bidirectional=True,
        epochs=30,
        **shared,
    ),
)
for name, model in [("CNN", cnn), ("bidirectional GRU", rnn)]:
    model.fit(X_train, y_train)
    auc = roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])
    loss = model[-1].history_["loss"]
    print(
        f"{name}: held-out ROC AUC {auc:.3f}; training loss after epoch 1: "
        f"{loss[0]:.2f}, 10: {loss[9]:.2f}, {len(loss)}: {loss[-1]:.3f}"
    )

# %%
# The recurrent network's training loss stays at chance (log 2 = 0.69) for
# several epochs before it finds the motif, then falls at once. With 16 units,
# one direction and 20 epochs it never left that plateau on this data (held-out
# ROC AUC 0.5: chance); early stopping even ends such a run while the loss is
# flat. Reading both directions halves the distance from the motif to the
# nearest end of the sequence, and 32 units and 30 epochs give it the time to
# leave the plateau (it did with seeds 0, 1 and 2). The convolution, built
# for the question, learns it in a few epochs.
#
# Which positions drove each prediction
# -------------------------------------
# Integrated gradients of the convolutional network, summed over the four
# bases at each position, for held-out sequences that carry the motif.
model = cnn
positives = np.flatnonzero(y_test == 1)
scores = feature_attributions(model, X_test[positives]).sum(axis=2)  # per position
peaks = scores.argmax(axis=1)
found = (peaks >= starts_test[positives]) & (
    peaks < starts_test[positives] + len(MOTIF)
)
print(
    f"attribution peaks inside the motif for {found.mean():.0%} of positive sequences"
)

fig, axes = plt.subplots(3, 1, figsize=(8, 5), sharex=True)
for ax, row in zip(axes, range(3), strict=True):
    ax.bar(range(60), scores[row], color="grey")
    start = starts_test[positives][row]
    ax.axvspan(start - 0.5, start + len(MOTIF) - 0.5, color="tab:orange", alpha=0.3)
    ax.set_ylabel("attribution")
axes[0].set_title("CNN: integrated gradients, held-out sequences with the motif")
axes[-1].set_xlabel("position in the sequence (motif shaded)")
fig.tight_layout()
