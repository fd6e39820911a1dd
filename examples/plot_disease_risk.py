"""
Disease risk from clinical measurements
=======================================

Train a Keras network on the Wisconsin breast cancer data (569 patients, 30
measurements of cell nuclei) inside a scikit-learn pipeline, tune it with
GridSearchCV, look at it the way a clinician would (ROC curve, calibration,
which measurements matter, the learning curve), and deploy it: with joblib,
and in skprecmed's safe format, which loads without unpickling code.
"""

import os
import tempfile

import joblib
import matplotlib.pyplot as plt
import numpy as np
from sklearn.calibration import CalibrationDisplay
from sklearn.datasets import load_breast_cancer
from sklearn.impute import SimpleImputer
from sklearn.inspection import permutation_importance
from sklearn.metrics import RocCurveDisplay, roc_auc_score
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skprecmed import KerasNetClassifier, load_model, plot_learning_curve, save_model

data = load_breast_cancer()
X, diagnosis = data.data, np.where(data.target == 0, "malignant", "benign")
X_train, X_test, y_train, y_test = train_test_split(
    X, diagnosis, stratify=diagnosis, random_state=0
)

pipe = make_pipeline(
    SimpleImputer(strategy="median"),
    StandardScaler(),
    KerasNetClassifier(epochs=30, early_stopping=True, random_state=0),
)
grid = {
    "kerasnetclassifier__hidden_layer_sizes": [(16,), (32, 16)],
    "kerasnetclassifier__dropout": [0.0, 0.2],
}
search = GridSearchCV(pipe, grid, scoring="roc_auc", cv=3).fit(X_train, y_train)
model = search.best_estimator_
print("best hyperparameters:", search.best_params_)
print(f"cross-validated ROC AUC: {search.best_score_:.3f}")
risk = model.predict_proba(X_test)[:, list(model.classes_).index("malignant")]
print(f"held-out ROC AUC: {roc_auc_score(y_test == 'malignant', risk):.3f}")

# %%
# What the model does, in pictures
fig, axes = plt.subplots(2, 2, figsize=(10, 8))
shown = {"pos_label": "malignant", "name": "Keras network"}
RocCurveDisplay.from_estimator(model, X_test, y_test, ax=axes[0, 0], **shown)
axes[0, 0].set(
    xlabel="1 - specificity (benign called malignant)",
    ylabel="sensitivity (malignant found)",
    title="malignant vs benign, held-out patients",
)
CalibrationDisplay.from_estimator(
    model, X_test, y_test, n_bins=8, strategy="quantile", ax=axes[0, 1], **shown
)
axes[0, 1].set(
    xlabel="predicted probability of malignancy",
    ylabel="observed fraction malignant",
    title="calibration",
)
importance = permutation_importance(
    model, X_test, y_test, scoring="roc_auc", n_repeats=5, random_state=0
)
top = np.argsort(importance.importances_mean)[-8:]
axes[1, 0].barh(data.feature_names[top], importance.importances_mean[top])
axes[1, 0].set(xlabel="drop in ROC AUC when shuffled", title="permutation importance")
plot_learning_curve(model, ax=axes[1, 1]).set_title("learning curve")
fig.tight_layout()

# %%
# Deployment: joblib (trusted files only) and the safe format, written to a
# temporary folder that is removed afterwards
expected = model.predict_proba(X_test)
with tempfile.TemporaryDirectory() as folder:
    joblib.dump(model, os.path.join(folder, "disease_risk.joblib"))
    reloaded = joblib.load(os.path.join(folder, "disease_risk.joblib"))
    assert np.array_equal(reloaded.predict_proba(X_test), expected)
    save_model(model, os.path.join(folder, "disease_risk.skprecmed"))
    reloaded = load_model(os.path.join(folder, "disease_risk.skprecmed"))
    assert np.array_equal(reloaded.predict_proba(X_test), expected)
print("saved with joblib and in the safe format; both reload to identical predictions")
