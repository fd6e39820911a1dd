"""
A small image CNN
=================

A 2-D convolutional network, chosen with ``architecture="cnn2d"``, on
scikit-learn's bundled 8x8 images of handwritten digits (a stand-in for
small pathology patches: the same estimator takes ``(n, height, width)`` or
``(n, height, width, channels)`` arrays). Two depths are compared by
GridSearchCV.
"""

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import GridSearchCV, train_test_split

from skprecmed import KerasNetClassifier

X, y = load_digits(return_X_y=True)
images = X.reshape(-1, 8, 8) / 16.0
X_train, X_test, y_train, y_test = train_test_split(images, y, random_state=0)

cnn = KerasNetClassifier(
    architecture="cnn2d",
    filters=16,
    kernel_size=3,
    hidden_layer_sizes=(32,),
    epochs=40,
    learning_rate_init=0.01,
    random_state=0,
)
search = GridSearchCV(cnn, {"conv_layers": [1, 2]}, cv=3).fit(X_train, y_train)
print(
    "best:", search.best_params_, f"cross-validated accuracy {search.best_score_:.3f}"
)
print(f"held-out accuracy: {search.score(X_test, y_test):.3f}")

fig, ax = plt.subplots(figsize=(5, 5))
ConfusionMatrixDisplay.from_estimator(search, X_test, y_test, ax=ax, colorbar=False)
ax.set(xlabel="digit predicted by the CNN", ylabel="true digit")
fig.tight_layout()
