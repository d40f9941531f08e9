"""Names that moved or left the public API keep working for one release, with a FutureWarning."""

import importlib
import re
import warnings

import pytest

from audiosk.utils._deprecation import deprecated

# old home, name, new home[:new name]: each old import warns, names the new home and the release
# it goes
MOVED = [
    ("audiosk.features", "extract_features", "audiosk.extraction"),
    ("audiosk.model_selection", "ChunkedClassifier", "audiosk.chunking"),
    ("audiosk.model_selection", "ChunkedRegressor", "audiosk.chunking"),
    ("audiosk.model_selection", "VTLNClassifier", "audiosk.adaptation"),
    ("audiosk.utils", "GroupLeakageWarning", "audiosk.model_selection"),
    ("audiosk.utils", "parallel_map", "audiosk.utils._parallel"),
    ("audiosk.utils", "check_audio", "audiosk.utils._waveforms"),
    ("audiosk.utils", "check_waveforms", "audiosk.utils._waveforms"),
    ("audiosk.utils", "resolve_sample_rate", "audiosk.utils._waveforms"),
    ("audiosk.model_selection", "input_kind", "audiosk.model_selection._baselines"),
    ("audiosk.datasets", "encode_target", "audiosk.datasets._folder"),
    ("audiosk.features", "GTZAN_COLUMNS", "audiosk.features._gtzan"),
    ("audiosk.plotting", "write_spectrogram_images", "audiosk.images"),
    ("audiosk.datasets", "REMOTES", "audiosk.datasets._fetch:_REMOTES"),
    ("audiosk.nets", "make_augmentations", "audiosk.nets._augment"),
    ("audiosk.nets", "resample", "audiosk.utils._dsp"),
]


@pytest.mark.parametrize(("old", "name", "new"), MOVED)
def test_old_name_warns_and_returns_the_same_object(old, name, new):
    module = importlib.import_module(old)
    assert name not in module.__all__
    new, _, new_name = new.partition(":")
    new_name = new_name or name
    expected = f"{old}.{name} moved to {new}.{new_name}; the old name will be removed in 0.3."
    with pytest.warns(FutureWarning, match=f"^{re.escape(expected)}$"):
        obj = getattr(module, name)
    assert obj is getattr(importlib.import_module(new), new_name)


def test_from_import_of_an_old_name_warns():
    with pytest.warns(FutureWarning, match=r"audiosk\.chunking\.ChunkedClassifier.*0\.3"):
        from audiosk.model_selection import ChunkedClassifier
    from audiosk.chunking import ChunkedClassifier as new

    assert ChunkedClassifier is new


def test_public_names_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from audiosk.datasets import load_spoken_digits  # noqa: F401
        from audiosk.features import GTZANFeatures  # noqa: F401
        from audiosk.model_selection import GroupLeakageWarning, compare  # noqa: F401
        from audiosk.utils import DiskArray, Waveforms, sample_rate_of  # noqa: F401


@pytest.mark.parametrize("module", ["audiosk.utils", "audiosk.features", "audiosk.model_selection"])
def test_unknown_names_still_raise_attribute_error(module):
    with pytest.raises(AttributeError, match=f"module '{module}' has no attribute 'nope'"):
        importlib.import_module(module).nope  # noqa: B018
    assert not hasattr(importlib.import_module(module), "also_nope")


def test_deprecated_function_warns_on_every_call_and_keeps_its_result():
    @deprecated(since="0.2", removed_in="0.3", instead="audiosk.new_place.twice")
    def twice(x):
        """Double x."""
        return 2 * x

    assert twice.__name__ == "twice" and twice.__doc__ == "Double x."
    for value in (1, 2):
        with pytest.warns(FutureWarning, match=r"^twice is deprecated since 0\.2 .* in 0\.3; use "):
            assert twice(value) == 2 * value
