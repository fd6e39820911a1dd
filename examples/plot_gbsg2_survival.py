"""
Time to breast cancer recurrence (GBSG2)
========================================

Train a DeepSurv network on the German Breast Cancer Study Group 2 data
(686 patients; hormonal therapy, age, menopausal status, tumour size and
grade, positive nodes, receptor levels), check its concordance index on
held-out patients against scikit-survival's Cox model, then split the
held-out patients into risk groups and plot each group's mean predicted
survival curve beside its observed Kaplan-Meier curve.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sksurv.datasets import load_gbsg2
from sksurv.linear_model import CoxPHSurvivalAnalysis
from sksurv.nonparametric import kaplan_meier_estimator

from skprecmed import KerasNetSurvivalAnalysis

X, y = load_gbsg2()
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)


def with_preprocessing(model):
    prep = make_column_transformer(
        (OneHotEncoder(drop="first"), make_column_selector(dtype_include="category")),
        (StandardScaler(), make_column_selector(dtype_include="number")),
    )
    return make_pipeline(prep, model)


deep = with_preprocessing(
    KerasNetSurvivalAnalysis(
        hidden_layer_sizes=(16,),
        alpha=0.1,
        epochs=200,
        batch_size=512,
        learning_rate_init=1e-2,
        random_state=0,
    )
).fit(X_train, y_train)
cox = with_preprocessing(CoxPHSurvivalAnalysis(alpha=1e-4)).fit(X_train, y_train)
print(
    f"held-out C-index: DeepSurv {deep.score(X_test, y_test):.3f}, "
    f"CoxPH {cox.score(X_test, y_test):.3f}"
)

risk = deep.predict(X_test)
groups = np.digitize(risk, np.quantile(risk, [1 / 3, 2 / 3]))
survival = deep.predict_survival_function(X_test, return_array=True)
times = deep[-1].unique_times_

fig, ax = plt.subplots(figsize=(6, 4))
for group, label in enumerate(["low risk", "medium risk", "high risk"]):
    members = groups == group
    line = ax.step(
        times, survival[members].mean(axis=0), where="post", label=f"{label}: predicted"
    )
    km_time, km_survival = kaplan_meier_estimator(
        y_test["cens"][members], y_test["time"][members]
    )
    ax.step(
        km_time,
        km_survival,
        where="post",
        ls="--",
        color=line[0].get_color(),
        label=f"{label}: Kaplan-Meier",
    )
ax.set(xlabel="days", ylabel="recurrence-free survival", ylim=(0, 1.02))
ax.legend(fontsize=7)
fig.tight_layout()
