"""skprecmed: Keras deep learning for precision medicine, the scikit-learn way.

Importing the package is cheap: the estimators (and scikit-learn) are loaded
when first accessed, TensorFlow and Keras the first time a network is trained.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("skprecmed")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "KerasNetClassifier",
    "KerasNetRegressor",
    "KerasNetSurvivalAnalysis",
    "KerasNetDiscreteTimeSurvivalAnalysis",
    "KerasNetCompetingRisks",
    "recommend_treatment",
    "save_model",
    "load_model",
    "read_metadata",
    "ModelVersionWarning",
    "ModelFileError",
    "plot_learning_curve",
    "SequenceEncoder",
    "DenseBranch",
    "EmbeddingBranch",
    "SequenceBranch",
    "ImageBranch",
    "feature_attributions",
    "clear_trainer_cache",
    "set_trainer_cache_size",
    "ConformalClassifier",
    "ConformalRegressor",
    "performance_intervals",
    "survival_calibration",
    "plot_survival_calibration",
    "plot_subgroup_coverage",
    "bootstrap_fit",
    "survival_intervals",
    "ConformalSurvival",
    "plot_survival_intervals",
    "classification_calibration",
    "plot_calibration",
    "register_onnx_converters",
    "__version__",
]

_LAZY = {
    "KerasNetClassifier": "._classifier",
    "KerasNetRegressor": "._regressor",
    "KerasNetSurvivalAnalysis": "._survival",
    "KerasNetDiscreteTimeSurvivalAnalysis": "._discrete_survival",
    "KerasNetCompetingRisks": "._discrete_survival",
    "recommend_treatment": "._treatment",
    "save_model": "._model_file",
    "load_model": "._model_file",
    "read_metadata": "._model_file",
    "ModelVersionWarning": "._model_file",
    "ModelFileError": "._model_file",
    "plot_learning_curve": "._plotting",
    "SequenceEncoder": "._sequence",
    "DenseBranch": "._branches",
    "EmbeddingBranch": "._branches",
    "SequenceBranch": "._branches",
    "ImageBranch": "._branches",
    "feature_attributions": "._attribution",
    "clear_trainer_cache": "._trainers",
    "set_trainer_cache_size": "._trainers",
    "ConformalClassifier": "._conformal",
    "ConformalRegressor": "._conformal",
    "performance_intervals": "._evaluation",
    "survival_calibration": "._evaluation",
    "plot_survival_calibration": "._plotting",
    "plot_subgroup_coverage": "._plotting",
    "bootstrap_fit": "._survival_uncertainty",
    "survival_intervals": "._survival_uncertainty",
    "ConformalSurvival": "._conformal_survival",
    "plot_survival_intervals": "._plotting",
    "classification_calibration": "._evaluation",
    "plot_calibration": "._plotting",
    "register_onnx_converters": "._onnx",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
