"""One word per idea: the retired names of the development guide's table are used nowhere public.

The table in ``docs/user_guide/development.md`` is the source: its last
column lists the names retired before 0.1.0. A public parameter (of a
function, a class or a public method) or a CLI flag that takes one of them,
or holds the words *chunk* or *segment* (a stretch of a clip is a window),
fails here; so does a ``verbose`` that is not an int, an ``n_jobs``
documented otherwise than as joblib's number of jobs, and an option value of
``aggregate`` that is a retired word.
"""

import argparse
import importlib
import inspect
import re
from pathlib import Path

import pytest

from audiosk.cli import _parser

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "user_guide" / "development.md"
PUBLIC_MODULES = [
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
RETIRED_WORDS = ("chunk", "segment")


def retired_names():
    """The backticked names of the last column of the guide's vocabulary table."""
    text = GUIDE.read_text()
    table = text[text.index("## Vocabulary") :]
    names = set()
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and not set(cells[2]) <= set("-") and cells[2] != "retired":
            names |= set(re.findall(r"`([^`]+)`", cells[2]))
    return names


def public_objects():
    """(qualified name, object) of every public function, class and public method."""
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if not callable(obj):
                continue
            yield f"{module_name}.{name}", obj
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if not attr.startswith("_") and inspect.isfunction(member):
                        yield f"{module_name}.{name}.{attr}", member


def parameters():
    """(owner, parameter) for every named parameter of the public surface."""
    for owner, obj in public_objects():
        try:
            signature = inspect.signature(obj)
        except (TypeError, ValueError):
            continue
        for parameter in signature.parameters.values():
            if parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                yield owner, parameter


def cli_flags():
    """Every option string of the ``audiosk`` command and its subcommands."""
    parser = _parser()
    parsers = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            parsers += list(action.choices.values())
    return {flag for p in parsers for a in p._actions for flag in a.option_strings}


def test_the_table_lists_retired_names():
    retired = retired_names()
    assert {"chunk_seconds", "precision", "model", "--output", "mean_proba"} <= retired


def test_no_public_parameter_uses_a_retired_name():
    retired = {n for n in retired_names() if not n.startswith("-")}
    used = sorted(
        f"{owner}({p.name})"
        for owner, p in parameters()
        if p.name in retired or any(word in p.name for word in RETIRED_WORDS)
    )
    assert used == [], "rename these (docs/user_guide/development.md, Vocabulary)"


def test_no_cli_flag_uses_a_retired_name():
    retired = retired_names()
    flags = cli_flags()
    assert {"--out", "--window-seconds", "--extractor", "--n-jobs"} <= flags
    used = sorted(
        f
        for f in flags
        if f in retired
        or f.lstrip("-").replace("-", "_") in retired
        or any(word in f for word in RETIRED_WORDS)
    )
    assert used == []


def test_verbose_is_an_int_everywhere():
    bad = [
        f"{owner}(verbose={p.default!r})"
        for owner, p in parameters()
        if p.name == "verbose" and (isinstance(p.default, bool) or not isinstance(p.default, int))
    ]
    assert bad == []


def test_n_jobs_is_documented_alike_everywhere():
    owners = {owner for owner, p in parameters() if p.name == "n_jobs"}
    assert len(owners) >= 7
    objects = dict(public_objects())
    by_name = {name.rsplit(".", 1)[-1]: obj for name, obj in objects.items()}
    for owner in owners:
        obj = objects[owner]
        for _ in range(3):  # "n_jobs ... As in :class:`MelSpectrogram`." names where it is
            doc = inspect.getdoc(obj) or ""
            heading = re.search(r"^((?:\w+, )*n_jobs(?:, \w+)*)(?: :.*)?$", doc, flags=re.M)
            assert heading, f"{owner} does not document n_jobs"
            entry = doc[heading.start() :].split("\n\n")[0]
            referred = re.search(r"As in :class:`~?(?:[\w.]+\.)?(\w+)`", entry)
            if referred is None:
                break
            obj = by_name[referred.group(1)]
        assert "Number of jobs run in parallel (joblib)" in entry, owner
        assert "joblib.parallel_config" in entry, owner


@pytest.mark.parametrize("owner", ["ChunkedClassifier", "ChunkedRegressor", "PANNsEmbedding"])
def test_aggregate_options_are_plain_words(owner):
    objects = {name.rsplit(".", 1)[-1]: obj for name, obj in public_objects()}
    options = objects[owner]._parameter_constraints["aggregate"][0].options
    assert "mean" in options and not options & retired_names()


def test_the_nets_count_threads_not_jobs():
    from audiosk.nets import NeuralClassifier, NeuralRegressor

    for net in (NeuralClassifier, NeuralRegressor):
        names = inspect.signature(net).parameters
        assert "n_threads" in names and "n_jobs" not in names


def test_scikit_learns_private_api_is_imported_in_one_place():
    import re
    from pathlib import Path

    package = Path(__file__).resolve().parents[1] / "audiosk"
    private = re.compile(r"from sklearn[\w.]*\._\w+ import|from sklearn[\w.]* import _\w+")
    found = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if path.name != "_sklearn_compat.py" and private.search(path.read_text())
    ]
    assert found == [], "import scikit-learn's private names through utils/_sklearn_compat.py"
