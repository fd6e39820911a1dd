"""``skprecmed card``: a Markdown model card, built with :class:`skops.card.Card`.

Everything in the card comes from the model file: its metadata (task,
features, training counts, hyperparameters, versions) and the loaded
estimator (its description). What the file does not record is written as
"not recorded", never guessed.
"""

from .commands import NOT_RECORDED, _read_model_file, outputs_of, task_of
from .commands import training_text as _training_text

_USES = {
    "classification": (
        "Estimates, for one patient at a time, the probability of each outcome "
        "class ({classes}) from the inputs listed below."
    ),
    "regression": "Predicts a numeric outcome from the inputs listed below.",
    "survival": (
        "Ranks patients by their risk of the event (a log-hazard ratio relative "
        "to the average training patient; higher means an earlier event) and "
        "estimates the probability of no event by a given time, from the inputs "
        "listed below."
    ),
}

LIMITATIONS = """\
- Research use only: this model is not a medical device and was not
  validated for clinical decisions. Validate it on data from the population
  and site where it will be used before relying on it.
- It learned from the training data summarised above only: patients unlike
  them (other ages, sites, measurement devices, treatments or periods) may be
  predicted badly, and it says nothing about causes or treatment effects.
- Missing measurements are imputed with the training median (or most
  frequent value), and categorical levels unseen in training are pooled, so
  a prediction may rest on values the patient does not have.
- Survival probabilities are only defined up to the last training time, and
  rely on proportional hazards (a Cox model with a network as its risk).
- Performance was not recorded in this file: measure it with
  `skprecmed evaluate` on held-out data."""


def _intended_use(metadata, model):
    task = task_of(metadata)
    classes = ", ".join(map(str, metadata.get("classes") or [])) or NOT_RECORDED
    text = _USES.get(task, "Predicts the outcome it was trained on.").format(
        classes=classes
    )
    doc = (type(model[-1] if hasattr(model, "steps") else model).__doc__ or "").strip()
    if doc:
        text += f"\n\nEstimator: `{metadata['estimator']}`, {doc.splitlines()[0]}"
    return text


def _training_data(metadata):
    names = metadata.get("feature_names") or []
    n = metadata.get("n_features_in")
    lines = [
        f"- Rows and outcome counts: {_training_text(metadata)}",
        f"- Features: {n if n is not None else NOT_RECORDED}",
        f"- Outputs of `skprecmed predict`: {', '.join(outputs_of(metadata))}",
    ]
    dtypes = metadata.get("feature_dtypes") or {}
    if names:
        lines.append("\n| feature | type |\n| --- | --- |")
        lines += [f"| {name} | {dtypes.get(name, NOT_RECORDED)} |" for name in names]
    return "\n".join(lines)


def _metrics(metadata):
    # a file records no performance: a training-set score would flatter the
    # model, and a held-out one is the user's job
    return f"{NOT_RECORDED}; run `skprecmed evaluate` on held-out data."


def _table(mapping, key, value):
    return {key: list(map(str, mapping)), value: [str(v) for v in mapping.values()]}


def build_card(model_path):
    """The model card of a model file.

    Parameters
    ----------
    model_path : str or path-like
        A ``.skprecmed`` file (loaded safely).

    Returns
    -------
    card : skops.card.Card
    """
    from skops.card import Card

    metadata = _read_model_file("read_metadata", model_path)
    model = _read_model_file("load_model", model_path)
    card = Card(model, template=None, model_diagram=False)
    card.add(
        **{
            "Model description": (
                f"A {task_of(metadata)} model trained with skprecmed "
                f"(`{metadata['estimator']}`), saved on {metadata['created']} in "
                "the safe `.skprecmed` format."
            ),
            "Model description/Intended use": _intended_use(metadata, model),
            "Model description/Training data": _training_data(metadata),
            "Model description/Evaluation results": _metrics(metadata),
        }
    )
    hyper = metadata.get("hyperparameters") or {}
    card.add_table(
        **{
            "Hyperparameters": _table(hyper, "name", "value")
            if hyper
            else {"name": [NOT_RECORDED], "value": [""]}
        }
    )
    versions = _table(metadata["versions"], "package", "version")
    card.add_table(**{"Versions": versions})
    card.add(
        **{
            "Limitations": LIMITATIONS,
            "How to use": (
                "```bash\n"
                f"skprecmed info {model_path}\n"
                f"skprecmed predict {model_path} patients.csv -o predictions.csv\n"
                "```\n\nThe file's SHA-256 of its model payload: "
                f"`{metadata['payload_sha256']}`."
            ),
        }
    )
    return card


def card(model_path, output):
    """Write the Markdown model card of ``model_path`` to ``output``.

    Parameters
    ----------
    model_path, output : str or path-like
        The model file, and the Markdown file to write (atomically; never the
        model file).

    Returns
    -------
    text : str
        The card's Markdown.
    """
    from .._atomic import atomic_write
    from .tables import check_output

    check_output(output, [model_path])
    text = build_card(model_path).render()
    with atomic_write(output, "w") as f:
        f.write(text)
    return text
