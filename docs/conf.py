"""Sphinx configuration of the audiosk documentation (``python -m sphinx -W docs docs/_build/html``)."""

import os
import sys
import warnings

import matplotlib

import audiosk

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")
sys.path.insert(0, os.path.abspath("gallery"))  # the gallery's small helper module


def _write_recipe_table():
    """Render the nets' recipes (what "auto" means) for the user guide, from the code's table."""
    from audiosk.nets._recipes import recipe_table

    folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "generated")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "recipes.md"), "w") as fh:
        fh.write(recipe_table("md") + "\n")


_write_recipe_table()

project = "audiosk"
author = "audiosk developers"
copyright = "audiosk developers"
release = audiosk.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = [
    "_build",
    "gallery/README.rst",
    "**/GALLERY_HEADER.rst",
    "generated/recipes.md",
]
templates_path = ["_templates"]
html_static_path = ["_static"]

# API reference: one page per public object, documented from its docstring
autosummary_generate = True
autodoc_typehints = "none"  # the numpydoc sections give the types
autodoc_default_options = {"members": True, "member-order": "bysource"}
numpydoc_show_class_members = False
numpydoc_validation_checks = {"GL08"}  # every documented object has a docstring

# warnings are errors (-W): a reference to an audiosk object that does not exist
# fails; other projects' objects are not linked (the build runs offline)
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(sklearn|numpy|np|torch|pandas|pd|skorch|librosa|matplotlib|scipy|joblib)\b.*"),
    (r"py:.*", r"(os|pathlib|collections|typing|dask|distributed)\b.*"),
]
myst_heading_anchors = 3

html_theme = "pydata_sphinx_theme"
html_title = f"audiosk {release}"
html_theme_options = {
    "navbar_end": ["theme-switcher"],
    "show_toc_level": 2,
    "navigation_with_keys": False,
}

sphinx_gallery_conf = {
    "examples_dirs": "gallery",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "abort_on_example_error": True,
    "backreferences_dir": None,
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
}

warnings.filterwarnings("ignore", message="Matplotlib is currently using agg")


autodoc_inherit_docstrings = False  # torch's and skorch's docstrings are theirs to render


def _skip_metadata_requests(app, what, name, obj, skip, options):
    """Leave out scikit-learn's generated ``set_*_request`` methods (documented by scikit-learn)."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return skip


def setup(app):
    app.connect("autodoc-skip-member", _skip_metadata_requests)
