"""
Disease progression from baseline measurements
==============================================

Regress a quantitative measure of diabetes progression one year after
baseline (scikit-learn's diabetes data: 442 patients, age, sex, BMI, blood
pressure and six blood serum measurements) with a Keras network, and compare
it with ridge regression on the same folds.
"""

# %%
# The target is in its clinical units (25 to 346): the network standardises
# it internally and predicts in those units, so no wrapper is needed. The
# defaults stop training early on an inner split; an ensemble of five
# networks, trained side by side in one model, averages out their errors.
import matplotlib.pyplot as plt
from sklearn.datasets import load_diabetes
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import KFold, cross_val_predict, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skprecmed import KerasNetRegressor

X, y = load_diabetes(return_X_y=True)
folds = KFold(5, shuffle=True, random_state=0)
ensemble = make_pipeline(
    StandardScaler(), KerasNetRegressor(ensemble_size=5, random_state=0)
)

for name, model in [
    ("ridge", make_pipeline(StandardScaler(), RidgeCV())),
    ("network x5", ensemble),
]:
    r2 = cross_val_score(model, X, y, scoring="r2", cv=folds)
    print(f"{name:10} cross-validated R^2 {r2.mean():.3f} +/- {r2.std():.3f}")

# %%
# Out-of-fold predictions against the observed progression: each patient is
# predicted by a model that never saw them.
predicted = cross_val_predict(ensemble, X, y, cv=folds)
fig, ax = plt.subplots(figsize=(4.5, 4.5))
ax.scatter(y, predicted, s=8, alpha=0.6)
ax.plot([y.min(), y.max()], [y.min(), y.max()], color="grey", lw=1)
ax.set(xlabel="observed progression", ylabel="predicted (out of fold)")
fig.tight_layout()
