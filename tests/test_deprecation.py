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


# estimator, old parameter, new parameter: the old one still works, with a FutureWarning
RENAMED_PARAMETERS = [
    ("ChunkedClassifier", "chunk_seconds", "window_seconds"),
    ("ChunkedRegressor", "chunk_seconds", "window_seconds"),
]


@pytest.mark.parametrize(("name", "old", "new"), RENAMED_PARAMETERS)
def test_renamed_parameter_warns_and_gives_the_same_model(name, old, new):
    import numpy as np
    from sklearn.linear_model import LogisticRegression, Ridge

    from audiosk import chunking
    from audiosk.utils import Waveforms

    rng = np.random.default_rng(0)
    X = Waveforms([rng.normal(scale=0.1, size=n).astype(np.float32) for n in (90, 70, 50)], sr=10)
    y = [0, 1, 0]
    inner = LogisticRegression() if name == "ChunkedClassifier" else Ridge()
    cls = getattr(chunking, name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the new name does not warn
        current = cls(inner, sr=10, hop_seconds=1.0, **{new: 2.0}).fit(X, y)
    expected = f"{name}: {old} is deprecated since 0.2 and will be removed in 0.3; use {new} "
    with pytest.warns(FutureWarning, match=f"^{re.escape(expected)}instead\\."):
        former = cls(inner, sr=10, hop_seconds=1.0, **{old: 2.0}).fit(X, y)
    assert former.n_windows_ == current.n_windows_ == 8 + 6 + 4
    np.testing.assert_allclose(former.estimator_.coef_, current.estimator_.coef_)
    np.testing.assert_allclose(former.predict(X), current.predict(X))
    with pytest.warns(FutureWarning, match="n_chunks_ is deprecated .* use n_windows_ instead"):
        assert former.n_chunks_ == 18
    with pytest.raises(ValueError, match=f"{old}=2.0 and {new}=1.0 both set"):
        cls(inner, sr=10, **{old: 2.0, new: 1.0}).fit(X, y)
