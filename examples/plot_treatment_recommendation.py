"""
Choosing a treatment for each patient
=====================================

A simulated randomised trial in which a treatment helps patients who carry a
marker and harms those who do not, while age raises everyone's hazard. A
DeepSurv network learns the interaction from the data alone;
``recommend_treatment`` then predicts each patient's risk under both options
and recommends the lower one. Because the truth is known, the agreement of
the recommendations with the best treatment can be measured. (On real data,
the treatment must be randomised or its confounders included: see the
function's documentation.)
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import train_test_split
from sksurv.util import Surv

from skprecmed import KerasNetSurvivalAnalysis, recommend_treatment

rng = np.random.RandomState(0)
n = 3000
marker, age = rng.normal(size=n), rng.normal(size=n)
treated = rng.randint(2, size=n).astype(float)
log_hazard = 0.5 * age + np.where(marker > 0, -1.0, 1.0) * treated
time = rng.exponential(1 / np.exp(log_hazard))
censoring = rng.exponential(2.0, size=n)
X = np.column_stack([marker, age, treated])
y = Surv.from_arrays(time <= censoring, np.minimum(time, censoring))
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

model = KerasNetSurvivalAnalysis(
    hidden_layer_sizes=(16,),
    epochs=60,
    batch_size=256,
    learning_rate_init=0.01,
    random_state=0,
).fit(X_train, y_train)
print(f"held-out C-index: {model.score(X_test, y_test):.3f}")

result = recommend_treatment(model, X_test, treatment=2)
best = (X_test[:, 0] > 0).astype(float)
print(
    "recommendation = true best treatment for "
    f"{np.mean(result.recommended == best):.0%} "
    "of held-out patients"
)

fig, ax = plt.subplots(figsize=(5, 3.5))
benefit = (
    result.risks[:, 0] - result.risks[:, 1]
)  # log hazard ratio of no treatment vs treatment
ax.scatter(X_test[:, 0], benefit, s=6, alpha=0.5)
ax.axhline(0, color="grey", lw=1)
ax.axvline(0, color="grey", lw=1, ls=":")
ax.set(
    xlabel="marker (the treatment helps above 0)",
    ylabel="predicted benefit of treatment\n(log hazard ratio)",
)
fig.tight_layout()
