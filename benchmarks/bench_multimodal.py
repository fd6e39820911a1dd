"""Multi-modal networks: does fusing the modalities pay, and where does it look?

Prints two tables::

    python benchmarks/bench_multimodal.py

1. A simulated cohort (2,000 patients for training, 1,000 held out): a DNA
   sequence of 40 bases, four clinical columns and a diagnosis code among
   40. The log-odds of the outcome add three effects: the motif
   ``TGACGTCA`` somewhere in the sequence (half the patients; +2.5), the
   clinical column ``age`` (+1.0 per s.d.; the three others are noise) and
   ten of the 40 codes (+2.5). Each model is trained on the same patients from one
   DataFrame, through a ``ColumnTransformer`` (``SequenceEncoder`` for the
   DNA, ``StandardScaler`` for the clinical columns, ``OrdinalEncoder`` with
   an unknown code for the diagnosis):

   * ``fused``: one ``KerasNetClassifier`` with a ``SequenceBranch`` (1-D
     CNN), an ``EmbeddingBranch`` and the clinical columns as the remainder
     branch;
   * ``DNA only`` / ``clinical only`` / ``code only``: the same network on
     one modality;
   * ``logistic regression``: scikit-learn's ``LogisticRegression`` on the
     flattened one-hot DNA, the scaled clinical columns and the one-hot
     code.

   Held-out ROC AUC per model, then the fused model's integrated-gradients
   attributions on the held-out patients: the share of the DNA branch's
   absolute attribution that falls on the motif's positions (patients with
   the motif; 8 of 40 positions, 0.20 by chance), the share of the clinical
   columns' that falls on ``age`` (0.25 by chance), how many of the ten
   codes with the highest mean attribution of the diagnosis column are the
   ten causal ones (2.5 by chance), and each branch's share of the total.
2. scikit-learn's digits (8x8 images, 10 classes; 600 for training, the
   other 1,197 held out) with a simulated clinical score that carries part
   of the label (the label plus normal noise of s.d. 1, scaled): held-out
   accuracy of the image alone (one ``ImageBranch``: two blocks of 16 3x3
   filters) and of image + table (the score as the remainder branch).
"""

import platform
import sys
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from skprecmed import (
    EmbeddingBranch,
    ImageBranch,
    KerasNetClassifier,
    SequenceBranch,
    SequenceEncoder,
    feature_attributions,
)

MOTIF, LENGTH, N_CODES = "TGACGTCA", 40, 40
CAUSAL_CODES = [f"D{i:02d}" for i in range(10)]
CLINICAL = ["age", "bmi", "sbp", "hba1c"]
NET = {
    "hidden_layer_sizes": (32,),
    "epochs": 60,
    "batch_size": 64,
    "learning_rate_init": 0.005,
    "n_iter_no_change": 10,
    "random_state": 0,
}
DIGITS_NET = {
    "hidden_layer_sizes": (32,),
    "epochs": 60,
    "learning_rate_init": 0.01,
    "n_iter_no_change": 10,
    "random_state": 0,
}


def cohort(n, seed):
    """Patients whose outcome needs a motif AND age AND a diagnosis code."""
    rng = np.random.RandomState(seed)
    motif = rng.uniform(size=n) < 0.5
    starts = np.where(motif, rng.randint(0, LENGTH - len(MOTIF) + 1, size=n), -1)
    sequences = []
    for start in starts:
        letters = list(rng.choice(list("ACGT"), size=LENGTH))
        if start >= 0:
            letters[start : start + len(MOTIF)] = MOTIF
        sequences.append("".join(letters))
    clinical = rng.normal(size=(n, len(CLINICAL)))
    codes = rng.choice([f"D{i:02d}" for i in range(N_CODES)], size=n)
    causal = np.isin(codes, CAUSAL_CODES)
    logit = 2.5 * motif + 1.0 * clinical[:, 0] + 2.5 * causal - 1.9
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    frame = pd.DataFrame(clinical * [10, 4, 15, 1] + [60, 27, 130, 6], columns=CLINICAL)
    frame.insert(0, "dna", sequences)
    frame["dx"] = codes
    return frame, y, starts, causal


def preprocessor(modalities, one_hot_code=False):
    parts = {
        "dna": ("dna", SequenceEncoder(flatten=True), "dna"),
        "clin": ("clin", StandardScaler(), CLINICAL),
        "dx": (
            "dx",
            OneHotEncoder(handle_unknown="ignore", sparse_output=False)
            if one_hot_code
            else OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1),
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
    return KerasNetClassifier(branches=branches or None, **NET)


def cohort_table():
    X, y, starts, _ = cohort(3000, seed=0)
    train, test = slice(0, 2000), slice(2000, None)
    models = {
        "fused (DNA + clinical + code)": ["dna", "clin", "dx"],
        "DNA only": ["dna"],
        "clinical only": ["clin"],
        "code only": ["dx"],
    }
    rows, fitted = [], {}
    for name, modalities in models.items():
        start = time.perf_counter()
        model = make_pipeline(preprocessor(modalities), network(modalities))
        model.fit(X[train], y[train])
        auc = roc_auc_score(y[test], model.predict_proba(X[test])[:, 1])
        rows.append((name, auc, time.perf_counter() - start))
        fitted[name] = model
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        lr = make_pipeline(
            preprocessor(["dna", "clin", "dx"], one_hot_code=True),
            LogisticRegression(max_iter=2000),
        ).fit(X[train], y[train])
    auc = roc_auc_score(y[test], lr.predict_proba(X[test])[:, 1])
    rows.append(("logistic regression (one-hot)", auc, time.perf_counter() - start))

    print("Simulated cohort: 2,000 patients for training, 1,000 held out")
    print(f"{'model':34s} {'ROC AUC':>8s} {'fit s':>7s}")
    for name, auc, seconds in rows:
        print(f"{name:34s} {auc:8.3f} {seconds:7.1f}")
    best_single = max(auc for name, auc, _ in rows[1:4])
    print(
        f"fused - best single modality: {rows[0][1] - best_single:+.3f}; "
        f"fused - logistic regression: {rows[0][1] - rows[4][1]:+.3f}"
    )

    fused = fitted["fused (DNA + clinical + code)"]
    net = fused[-1]
    signed = feature_attributions(fused, X[test], steps=16)
    scores = np.abs(signed)
    columns = net.branch_columns_
    dna = scores[:, columns["dna"]].reshape(len(scores), LENGTH, 4).sum(axis=2)
    starts_test = starts[test]
    has = starts_test >= 0
    on_motif = np.zeros_like(dna, dtype=bool)
    for row, start in enumerate(starts_test):
        if start >= 0:
            on_motif[row, start : start + len(MOTIF)] = True
    motif_share = dna[has][on_motif[has]].sum() / dna[has].sum()
    names = list(net.feature_names_in_)
    clinical = scores[:, [names.index(f"clin__{c}") for c in CLINICAL]]
    age_share = clinical[:, 0].sum() / clinical.sum()
    code = signed[:, columns["dx"][0]]
    codes = X["dx"].to_numpy()[test]
    mean_by_code = {c: code[codes == c].mean() for c in np.unique(codes)}
    top = sorted(mean_by_code, key=mean_by_code.get, reverse=True)[: len(CAUSAL_CODES)]
    code_hits = len(set(top) & set(CAUSAL_CODES))
    per_branch = {name: scores[:, cols].sum() for name, cols in columns.items()}
    total = sum(per_branch.values())
    print("\nAttributions of the fused model (integrated gradients, held out)")
    print(f"  DNA: share on the motif's positions   {motif_share:.2f} (chance 0.20)")
    print(f"  clinical: share on age                {age_share:.2f} (chance 0.25)")
    print(
        f"  code: causal among the {len(top)} codes of highest mean attribution "
        f"{code_hits}/{len(top)} (chance {len(top) ** 2 / N_CODES:.1f})"
    )
    shares = ", ".join(f"{k} {v / total:.2f}" for k, v in per_branch.items())
    print(f"  branch shares: {shares}")


def digits_table():
    images, label = load_digits(return_X_y=True)
    rng = np.random.RandomState(0)
    score = (label + rng.normal(size=len(label)) - 4.5) / 3  # label + noise, scaled
    X = np.column_stack([images / 16.0, score])
    order = rng.permutation(len(label))
    train, test = order[:600], order[600:]
    print("\nDigits (8x8 images) + a clinical column carrying part of the label")
    print(f"{'model':34s} {'accuracy':>8s} {'fit s':>7s}")
    for name, columns in [("image alone", slice(0, 64)), ("image + table", None)]:
        start = time.perf_counter()
        data = X[:, columns] if columns is not None else X
        image = ImageBranch(slice(0, 64), shape=(8, 8), filters=16, conv_layers=2)
        model = KerasNetClassifier(branches=[("image", image)], **DIGITS_NET)
        model.fit(data[train], label[train])
        accuracy = accuracy_score(label[test], model.predict(data[test]))
        print(f"{name:34s} {accuracy:8.3f} {time.perf_counter() - start:7.1f}")


if __name__ == "__main__":
    begin = time.perf_counter()
    print(
        f"{time.strftime('%Y-%m-%d')}, Python {sys.version.split()[0]}, "
        f"{platform.machine()}, {platform.processor() or 'unknown CPU'}"
    )
    cohort_table()
    digits_table()
    print(f"\ntotal {time.perf_counter() - begin:.0f} s")
