"""The documentation lists every public object, module pages carry no file notes, and the gallery
scripts are where the build looks."""

import importlib
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
MODULES = [
    "audiosk.containers",
    "audiosk.io",
    "audiosk.datasets",
    "audiosk.preprocessing",
    "audiosk.features",
    "audiosk.extraction",
    "audiosk.images",
    "audiosk.nets",
    "audiosk.model_selection",
    "audiosk.chunking",
    "audiosk.adaptation",
    "audiosk.plotting",
]


def documented():
    """(module, name) pairs of api.rst's autosummary tables."""
    text = (DOCS / "api.rst").read_text()
    pairs = set()
    for module, block in re.findall(
        r"\.\. currentmodule:: (\S+)\n\n\.\. autosummary::\n   :toctree: generated/\n\n((?:   \S+\n)+)",
        text,
    ):
        pairs |= {(module, name.strip()) for name in block.splitlines()}
    return pairs


@pytest.mark.parametrize("module", MODULES)
def test_every_public_object_has_an_api_page(module):
    listed = {name for _, name in documented()}
    public = set(importlib.import_module(module).__all__)
    assert public - listed == set(), f"add these to docs/api.rst: {sorted(public - listed)}"
    for owner, name in documented():
        if owner == module:  # and the reference names each object where it lives
            assert name in public, f"{module}.{name} is listed but not public"


def test_top_level_names_are_documented_where_they_live():
    import audiosk

    listed = {name for _, name in documented()}
    assert set(audiosk.__all__) - {"__version__"} <= listed


def test_module_docstrings_leave_notes_on_file_length_to_comments():
    # the docstrings of public modules are the top of their API pages
    import pkgutil

    import audiosk

    noted = []
    for info in pkgutil.walk_packages(audiosk.__path__, "audiosk."):
        doc = importlib.import_module(info.name).__doc__ or ""
        if re.search(r"\b\d+ lines\b", doc):
            noted.append(info.name)
    assert noted == [], f"move the note on length to a comment below the docstring: {noted}"


def test_the_gallery_scripts_are_named_and_titled_for_the_build():
    scripts = sorted((DOCS / "gallery").glob("*.py"))
    assert scripts and all(s.name.startswith("plot_") for s in scripts)
    for script in scripts:
        title = script.read_text().split('"""')[1].strip().splitlines()
        assert len(title) >= 2 and set(title[1]) == {"="}, f"{script.name} needs a title"
