"""
One patient, every kind of data: DNA, clinical table and codes in one network
=============================================================================

A patient's record holds a DNA sequence, clinical measurements and
diagnosis codes. Here the outcome depends on all three: a regulatory motif
somewhere in the sequence, the patient's age and a few of the diagnosis
codes. One :class:`~skprecmed.KerasNetClassifier` with a branch per
modality -- a 1-D CNN for the DNA, an embedding for the codes, the clinical
columns as they are -- is trained end to end from one DataFrame, inside an
ordinary scikit-learn pipeline. It is compared with the same network on each
modality alone, and its attributions show which part of the record drove
each prediction.
"""

# %%
# A simulated cohort
# ------------------
# 1,500 patients: a DNA sequence of 30 bases (half carry the motif
# ``TGACGTCA``), age and BMI (only age matters) and one diagnosis code among
# 30, of which ``D00`` to ``D07`` raise the risk.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OrdinalEncoder, StandardScaler

from skprecmed import (
    EmbeddingBranch,
    KerasNetClassifier,
    SequenceBranch,
    SequenceEncoder,
    feature_attributions,
)

MOTIF, LENGTH = "TGACGTCA", 30
CAUSAL = [f"D{i:02d}" for i in range(8)]
rng = np.random.RandomState(0)
n = 1500
starts = np.where(rng.uniform(size=n) < 0.5, rng.randint(0, LENGTH - 7, size=n), -1)
sequences = []
for start in starts:
    letters = list(rng.choice(list("ACGT"), size=LENGTH))
    if start >= 0:
        letters[start : start + len(MOTIF)] = MOTIF
    sequences.append("".join(letters))
age = rng.normal(60, 10, size=n)
codes = rng.choice([f"D{i:02d}" for i in range(30)], size=n)
logit = 2.5 * (starts >= 0) + 0.1 * (age - 60) + 2.5 * np.isin(codes, CAUSAL) - 1.9
y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
patients = pd.DataFrame(
    {"dna": sequences, "age": age, "bmi": rng.normal(27, 4, size=n), "dx": codes}
)
train, test = slice(0, 1000), slice(1000, None)
patients.head()


# %%
# One pipeline from the DataFrame to the prediction
# -------------------------------------------------
# A :class:`~sklearn.compose.ColumnTransformer` turns each modality into
# numbers: :class:`~skprecmed.SequenceEncoder` one-hot encodes the DNA
# (``flatten=True``: 4 columns per base), a scaler the clinical columns, and
# :class:`~sklearn.preprocessing.OrdinalEncoder` the codes as integers, with
# ``-1`` for a code never seen in training. With
# ``set_output(transform="pandas")`` its output columns are named
# ``<transformer>__<feature>``, so each branch picks its transformer's
# columns by a pattern. The columns no branch claims (the clinical ones)
# feed a dense branch named ``"remainder"``. The branches are fused by
# concatenation before the network's dense head.
def preprocessor(modalities):
    parts = {
        "dna": ("dna", SequenceEncoder(flatten=True), "dna"),
        "clin": ("clin", StandardScaler(), ["age", "bmi"]),
        "dx": (
            "dx",
            OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1),
            ["dx"],
        ),
    }
    return ColumnTransformer([parts[m] for m in modalities]).set_output(
        transform="pandas"
    )


def network(modalities):
    branches = []
    if "dna" in modalities:
        branches.append(("dna", SequenceBranch("dna__*", filters=16, kernel_size=8)))
    if "dx" in modalities:
        branches.append(("dx", EmbeddingBranch("dx__*", embedding_dim=4)))
    return KerasNetClassifier(
        branches=branches or None,
        hidden_layer_sizes=(16,),
        epochs=40,
        batch_size=64,
        learning_rate_init=0.005,
        n_iter_no_change=8,
        random_state=0,
    )


fused = make_pipeline(preprocessor(["dna", "clin", "dx"]), network(["dna", "dx"]))
fused.fit(patients[train], y[train])
print(fused[-1].branch_columns_.keys())

# %%
# Fused against each modality alone
# ---------------------------------
# Each modality alone sees a third of the signal; the fused network sees it
# all. The branch hyperparameters are ordinary parameters
# (``kerasnetclassifier__dna__filters``), so the same pipeline goes into
# :class:`~sklearn.model_selection.GridSearchCV` or
# :func:`~sklearn.model_selection.cross_val_score` unchanged.
auc = {"fused": roc_auc_score(y[test], fused.predict_proba(patients[test])[:, 1])}
for modality in ["dna", "clin", "dx"]:
    single = make_pipeline(preprocessor([modality]), network([modality]))
    single.fit(patients[train], y[train])
    auc[modality] = roc_auc_score(y[test], single.predict_proba(patients[test])[:, 1])
for name, value in auc.items():
    print(f"{name:>6s}: held-out ROC AUC {value:.3f}")

# %%
# Which part of the record drove each prediction?
# -----------------------------------------------
# :func:`~skprecmed.feature_attributions` gives integrated gradients per
# column; ``per_branch=True`` sums them per modality. A diagnosis code has no
# gradient: its attribution is the change of the prediction when the code
# is replaced by the unknown one (the average code). Below, the mean
# absolute attribution of each branch, and for three patients with the
# motif, the attribution of each DNA position (motif shaded).
held_out = patients[test]
per_branch = feature_attributions(fused, held_out, steps=16, per_branch=True)
for name, values in per_branch.items():
    print(f"{name:>9s}: mean |attribution| {np.abs(values).mean():.3f}")

scores = feature_attributions(fused, held_out, steps=16)
dna = scores[:, fused[-1].branch_columns_["dna"]].reshape(len(scores), LENGTH, 4)
dna = dna.sum(axis=2)
carriers = np.flatnonzero(starts[test] >= 0)[:3]
fig, axes = plt.subplots(len(carriers), 1, figsize=(7, 4.5), sharex=True)
for ax, row in zip(axes, carriers, strict=True):
    ax.bar(range(LENGTH), dna[row], color="grey")
    start = starts[test][row]
    ax.axvspan(start - 0.5, start + len(MOTIF) - 0.5, color="tab:orange", alpha=0.3)
    ax.set_ylabel("attribution")
axes[-1].set_xlabel("DNA position")
fig.tight_layout()
plt.show()
