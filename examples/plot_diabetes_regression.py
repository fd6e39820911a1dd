"""
Disease progression from baseline measurements
==============================================

Regress a quantitative measure of diabetes progression one year after
baseline (scikit-learn's diabetes data: 442 patients, age, sex, BMI, blood
pressure and six blood serum measurements) with a Keras network. The target
is standardised by ``TransformedTargetRegressor``; the network depth is
tuned with GridSearchCV and compared with ridge regression on the same folds.
"""

import matplotlib.pyplot as plt
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_diabetes
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    cross_val_predict,
    cross_val_score,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skprecmed import KerasNetRegressor

X, y = load_diabetes(return_X_y=True)
folds = KFold(5, shuffle=True, random_state=0)

network = TransformedTargetRegressor(
    make_pipeline(
        StandardScaler(),
        KerasNetRegressor(epochs=60, alpha=1e-3, batch_size=64, random_state=0),
    ),
    transformer=StandardScaler(),
)
grid = {"regressor__kerasnetregressor__hidden_layer_sizes": [(8,), (32,)]}
search = GridSearchCV(network, grid, scoring="r2", cv=3)

for name, model in [
    ("ridge", make_pipeline(StandardScaler(), RidgeCV())),
    ("network", search),
]:
    r2 = cross_val_score(model, X, y, scoring="r2", cv=folds)
    print(f"{name:8} cross-validated R^2 {r2.mean():.3f} +/- {r2.std():.3f}")

predicted = cross_val_predict(search, X, y, cv=folds)
fig, ax = plt.subplots(figsize=(4.5, 4.5))
ax.scatter(y, predicted, s=8, alpha=0.6)
ax.plot([y.min(), y.max()], [y.min(), y.max()], color="grey", lw=1)
ax.set(xlabel="observed progression", ylabel="predicted (out of fold)")
fig.tight_layout()
fig.savefig("diabetes_regression.png", dpi=100)
print("figure: diabetes_regression.png")
