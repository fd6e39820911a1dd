"""skprecmed: Keras deep learning for precision medicine, the scikit-learn way.

Importing the package is cheap: TensorFlow and Keras are imported the first
time a network is trained or used.
"""

from importlib.metadata import PackageNotFoundError, version

from ._classifier import KerasMLPClassifier

try:
    __version__ = version("skprecmed")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = ["KerasMLPClassifier", "__version__"]
