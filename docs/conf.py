"""Sphinx configuration for skprecmed's documentation."""

project = "skprecmed"
author = "skprecmed developers"
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "numpydoc",
]
autosummary_generate = True
numpydoc_show_class_members = False
intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
    "sklearn": ("https://scikit-learn.org/stable", None),
}
exclude_patterns = ["_build"]
html_theme = "alabaster"
