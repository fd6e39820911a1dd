"""``skprecmed demo``: the main job, end to end on real patient data.

Train, tune, validate, save and reload a disease-risk classifier on
scikit-learn's bundled breast cancer data.
"""

import time


def _progress(start):
    def say(message):
        print(f"[{time.perf_counter() - start:6.1f}s] {message}", flush=True)

    return say


def demo(output="skprecmed_demo_model.joblib", epochs=30, cv=5, missing=0.05, seed=0):
    """Run the end-to-end demo and return the held-out ROC AUC.

    Parameters
    ----------
    output : str, default="skprecmed_demo_model.joblib"
        Where the fitted pipeline is written with joblib.
    epochs : int, default=30
        Training epochs of each network.
    cv : int, default=5
        Folds of the grid search and of the cross-validation.
    missing : float, default=0.05
        Share of the measurements blanked at random before training, to show
        the imputer at work as it would be on real clinical records.
    seed : int, default=0
        Seed of the split, the blanking and the networks.

    Returns
    -------
    roc_auc : float
        ROC AUC of the tuned model on the held-out patients.
    """
    import joblib
    import numpy as np
    from sklearn.datasets import load_breast_cancer
    from sklearn.impute import SimpleImputer
    from sklearn.metrics import (
        accuracy_score,
        brier_score_loss,
        recall_score,
        roc_auc_score,
    )
    from sklearn.model_selection import (
        GridSearchCV,
        StratifiedKFold,
        cross_val_score,
        train_test_split,
    )
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from .. import KerasNetClassifier, __version__
    from .._atomic import atomic_write

    say = _progress(time.perf_counter())
    say(f"skprecmed {__version__}: disease-risk demo")
    data = load_breast_cancer()
    X = data.data.copy()
    # target 0 is malignant: name the labels so that "malignant" is positive
    y = np.where(data.target == 0, "malignant", "benign")
    rng = np.random.RandomState(seed)
    X[rng.uniform(size=X.shape) < missing] = np.nan
    say(
        f"Wisconsin breast cancer data: {X.shape[0]} patients, {X.shape[1]} "
        f"measurements, {np.mean(y == 'malignant'):.0%} malignant; "
        f"{missing:.0%} of the measurements blanked to show the imputer"
    )
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=seed
    )
    say(f"held out {len(y_test)} patients; training on {len(y_train)}")

    pipeline = Pipeline(
        [
            ("impute", SimpleImputer(strategy="median")),
            ("scale", StandardScaler()),
            ("net", KerasNetClassifier(epochs=epochs, random_state=seed)),
        ]
    )
    grid = {
        "net__hidden_layer_sizes": [(16,), (32,)],
        "net__learning_rate_init": [0.001, 0.01],
    }
    folds = StratifiedKFold(n_splits=cv, shuffle=True, random_state=seed)
    n_fits = (
        cv * len(grid["net__hidden_layer_sizes"]) * len(grid["net__learning_rate_init"])
    )
    say(f"tuning 2 hyperparameters with GridSearchCV ({n_fits} fits, ROC AUC)")
    search = GridSearchCV(pipeline, grid, scoring="roc_auc", cv=folds).fit(
        X_train, y_train
    )
    say(f"best: {search.best_params_} (mean CV ROC AUC {search.best_score_:.3f})")

    say(f"{cv}-fold cross-validation of the tuned pipeline")
    scores = cross_val_score(
        search.best_estimator_, X_train, y_train, scoring="roc_auc", cv=folds
    )
    say(f"cross-validated ROC AUC: {scores.mean():.3f} +/- {scores.std():.3f}")

    model = search.best_estimator_
    positive = list(model.classes_).index("malignant")
    proba = model.predict_proba(X_test)[:, positive]
    pred = model.predict(X_test)
    auc = roc_auc_score(y_test == "malignant", proba)
    say("held-out patients (never seen in tuning or training):")
    print(f"    ROC AUC      {auc:.3f}")
    print(f"    accuracy     {accuracy_score(y_test, pred):.3f}")
    print(f"    sensitivity  {recall_score(y_test, pred, pos_label='malignant'):.3f}")
    print(f"    specificity  {recall_score(y_test, pred, pos_label='benign'):.3f}")
    print(f"    Brier score  {brier_score_loss(y_test == 'malignant', proba):.3f}")

    with atomic_write(output) as f:  # Ctrl-C leaves no half-written file
        joblib.dump(model, f)
    say(f"saved the fitted pipeline to {output}")
    reloaded = joblib.load(output)
    again = reloaded.predict_proba(X_test)[:, positive]
    if not np.array_equal(again, proba):
        raise RuntimeError("the reloaded model predicts differently")
    say("reloaded it: same predictions; risk of malignancy of 5 held-out patients:")
    for i, p in enumerate(again[:5]):
        print(f"    patient {i + 1}: {p:.3f} (truth: {y_test[i]})")
    say("done")
    return auc
