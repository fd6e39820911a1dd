"""
Disease risk from clinical measurements
=======================================

Train a Keras network on the Wisconsin breast cancer data (569 patients, 30
measurements of cell nuclei) inside a scikit-learn pipeline, tune it with
GridSearchCV, validate it on held-out patients and save it with joblib.
"""

import joblib
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.impute import SimpleImputer
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skprecmed import KerasMLPClassifier

X, y = load_breast_cancer(return_X_y=True)
malignant = y == 0
X_train, X_test, y_train, y_test = train_test_split(
    X, malignant, stratify=malignant, random_state=0
)

pipe = make_pipeline(
    SimpleImputer(strategy="median"),
    StandardScaler(),
    KerasMLPClassifier(epochs=30, early_stopping=True, random_state=0),
)
grid = {
    "kerasmlpclassifier__hidden_layer_sizes": [(16,), (32, 16)],
    "kerasmlpclassifier__dropout": [0.0, 0.2],
}
search = GridSearchCV(pipe, grid, scoring="roc_auc", cv=3).fit(X_train, y_train)
print("best hyperparameters:", search.best_params_)
print(f"cross-validated ROC AUC: {search.best_score_:.3f}")

risk = search.predict_proba(X_test)[:, 1]
print(f"held-out ROC AUC: {roc_auc_score(y_test, risk):.3f}")

joblib.dump(search.best_estimator_, "disease_risk.joblib")
reloaded = joblib.load("disease_risk.joblib")
assert np.array_equal(reloaded.predict_proba(X_test)[:, 1], risk)
print("saved and reloaded: identical predictions")
