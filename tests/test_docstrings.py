"""numpydoc validation of every public object, with scikit-learn's rules (its test_docstrings.py).

Every public function and class of audiosk's public modules is checked, and
every public method or property that an audiosk class defines (inherited
scikit-learn and skorch methods are documented by their own projects). The
rules are numpydoc's built-in checks less the ones scikit-learn ignores:
RT02 (a returned name may precede the type), GL01 and GL02 (where the
summary starts, blank lines around properties); for methods, ES01, SA01 and
EX01 (extended summary, See Also and Examples belong to the class page);
PR02 and GL08 for properties.
"""

import importlib
import inspect

import pytest

numpydoc_validation = pytest.importorskip("numpydoc.validate")

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

IGNORED = {"RT02", "GL01", "GL02"}
IGNORED_FOR_METHODS = {"ES01", "SA01", "EX01"}


def _owner(klass, attr):
    return next(k for k in klass.__mro__ if attr in vars(k))


def targets():
    """(import path, kind) of every object checked; kind is "function", "class" or "method"."""
    seen = set()
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if not callable(obj):
                continue
            path = f"{obj.__module__}.{obj.__qualname__}"
            if path in seen:
                continue
            seen.add(path)
            if not inspect.isclass(obj):
                yield path, "function"
                continue
            yield path, "class"
            for attr in sorted(dir(obj)):
                owner = _owner(obj, attr) if not attr.startswith("_") else None
                if owner is None or not owner.__module__.startswith("audiosk"):
                    continue
                member = vars(owner)[attr]
                if callable(member) or isinstance(member, property):
                    kind = "property" if isinstance(member, property) else "method"
                    yield f"{path}.{attr}", kind


def errors(path, kind):
    result = numpydoc_validation.validate(path)
    for code, message in result["errors"]:
        if code in IGNORED or (kind in ("method", "property") and code in IGNORED_FOR_METHODS):
            continue
        if kind == "property" and code in ("PR02", "GL08"):
            continue
        yield code, message


@pytest.mark.parametrize(("path", "kind"), list(targets()), ids=lambda v: str(v))
def test_docstring(path, kind):
    found = [f"{code}: {message}" for code, message in errors(path, kind)]
    assert not found, f"{path}\n" + "\n".join(found)


def test_the_public_surface_is_covered():
    checked = {path for path, _ in targets()}
    assert len(checked) > 150
    assert "audiosk.nets._estimators.NeuralClassifier.fit" in checked or any(
        p.endswith("NeuralClassifier.fit") for p in checked
    )
