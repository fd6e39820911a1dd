"""Sphinx configuration for skprecmed's documentation.

Build with ``make -C docs html`` (needs the ``docs`` extra); the gallery runs
every script in ``examples/``.
"""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

project = "skprecmed"
author = "skprecmed developers"
copyright = "2026, skprecmed developers"
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
autosummary_generate = True
numpydoc_show_class_members = False
numpydoc_xref_param_type = False
intersphinx_mapping = {}  # no network where the docs are built: no inventories
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "show_memory": False,
    "remove_config_comments": True,
}
nitpicky = False
suppress_warnings = ["config.cache"]
templates_path = ["_templates"]
exclude_patterns = ["_build", "_templates"]
html_theme = "alabaster"
