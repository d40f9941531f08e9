"""CachedTransformer: keyed by audiosk's one content key, never by names (issue 33, defects 1-3)."""

import importlib
import os
import sys
from collections import UserList, deque
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from audiosk.containers import DiskArray, Spectra, WaveformArray, Waveforms
from audiosk.datasets import ClipPaths
from audiosk.io import AudioLoader
from audiosk.model_selection import CachedTransformer

SR = 8000


class Peaks(TransformerMixin, BaseEstimator):
    """Peak and mean of each clip (or row), times ``scale``."""

    def __init__(self, scale=1.0, weights=None, n_jobs=None):
        self.scale = scale
        self.weights = weights
        self.n_jobs = n_jobs

    def fit(self, X, y=None):
        self.fitted_ = True
        return self

    def transform(self, X):
        rows = [np.asarray(x, dtype=np.float64).ravel() for x in X]
        return np.array([[np.max(np.abs(r)), np.mean(r)] for r in rows]) * self.scale


class RateAware(Peaks):
    """Peaks times the rate the clips carry."""

    def transform(self, X):
        return super().transform(X) * X.sr


def write_clip(path, seed, *, keep_time=False):
    """Write 0.1 s of noise; with ``keep_time``, the old modification time stays (``cp -p``)."""
    info = os.stat(path) if keep_time else None
    noise = np.random.default_rng(seed).uniform(-0.5, 0.5, SR // 10).astype(np.float32)
    sf.write(path, noise, SR)
    if info is not None:
        os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
        assert os.path.getsize(path) == info.st_size
    return str(path)


FORMS = {
    "list": list,
    "tuple": tuple,
    "Series": pd.Series,
    "object array": lambda p: np.asarray(p, dtype=object),
    "Series.values": lambda p: pd.DataFrame({"path": p})["path"].values,  # pandas' own array
    "DataFrame": lambda p: pd.DataFrame({"path": p}),
    "str array": np.asarray,
    "Path objects": lambda p: [Path(x) for x in p],
    "ClipPaths": lambda p: ClipPaths(p, groups=np.arange(len(p))),
    # issue 33 red team, defect 6: other sequences were keyed by the names only
    "deque": deque,
    "UserList": UserList,
    "dict.values()": lambda p: dict(enumerate(p)).values(),
    "pyarrow array": lambda p: pytest.importorskip("pyarrow").chunked_array([p]),
}


@pytest.mark.parametrize("form", list(FORMS))
def test_a_rewritten_file_is_decoded_again_however_the_paths_are_passed(tmp_path, form):
    # defect 1: a Series or an object array of paths was keyed by the names only
    paths = [write_clip(tmp_path / f"clip{i}.wav", i) for i in range(3)]
    front = make_pipeline(AudioLoader(sr=SR), Peaks())
    memory = str(tmp_path / "cache")
    first = CachedTransformer(front, memory=memory).fit(FORMS[form](paths))
    before = first.transform(FORMS[form](paths))
    write_clip(paths[1], 99, keep_time=True)  # same size, same time: other bytes
    expected = front.fit_transform(paths)
    again = CachedTransformer(front, memory=memory)
    np.testing.assert_array_equal(again.fit_transform(FORMS[form](paths)), expected)
    np.testing.assert_array_equal(again.transform(FORMS[form](paths)), expected)
    np.testing.assert_array_equal(first.transform(FORMS[form](paths)), expected)
    assert not np.array_equal(before[1], expected[1])
    np.testing.assert_array_equal(before[[0, 2]], expected[[0, 2]])


def test_a_rewritten_disk_array_is_read_again(tmp_path):
    # defect 2: a .npy rewritten under the same name gave the cached output
    path = tmp_path / "spectra.npy"
    memory = str(tmp_path / "cache")
    np.save(path, np.ones((4, 2, 3), np.float32))
    cached = CachedTransformer(Peaks(), memory=memory)
    np.testing.assert_array_equal(cached.fit_transform(DiskArray(path))[:, 0], [1.0] * 4)
    np.testing.assert_array_equal(cached.transform(DiskArray(path)[[3, 1]])[:, 0], [1.0] * 2)
    np.save(path, np.full((4, 2, 3), 2.0, np.float32))  # the same name, shape and size
    again = CachedTransformer(Peaks(), memory=memory)
    np.testing.assert_array_equal(again.fit_transform(DiskArray(path))[:, 0], [2.0] * 4)
    np.testing.assert_array_equal(again.transform(DiskArray(path)[[3, 1]])[:, 0], [2.0] * 2)
    np.testing.assert_array_equal(cached.transform(DiskArray(path)[[3, 1]])[:, 0], [2.0] * 2)


MODULE_V1 = """
import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin


def feature(X):
    return np.asarray(X, dtype=float) * 2


class Doubler(TransformerMixin, BaseEstimator):
    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.asarray(X, dtype=float) * 2
"""


def test_an_edited_function_or_class_is_a_new_key(tmp_path, monkeypatch):
    # defect 3: a function was identified by its name, so an edited body reused old output
    (tmp_path / "front_v.py").write_text(MODULE_V1)
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("front_v")
    try:
        X = np.arange(6.0).reshape(3, 2)
        memory = str(tmp_path / "cache")

        def fronts():
            return [FunctionTransformer(module.feature), module.Doubler()]

        for front in fronts():
            np.testing.assert_array_equal(
                CachedTransformer(front, memory=memory).fit_transform(X), X * 2
            )
        (tmp_path / "front_v.py").write_text(MODULE_V1.replace("* 2", "* 3"))
        importlib.reload(module)
        for front in fronts():
            np.testing.assert_array_equal(
                CachedTransformer(front, memory=memory).fit_transform(X), X * 3
            )
    finally:
        sys.modules.pop("front_v", None)


CALLABLES = """
import functools

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

K = {k}


class Scale:
    def __call__(self, X):
        return np.asarray(X, dtype=float) * {k}


@functools.cache
def factor():
    return {k}


def times(X, by):
    return np.asarray(X, dtype=float) * by()


class Base(TransformerMixin, BaseEstimator):
    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.asarray(X, dtype=float) * {k}


class Step(Base):
    pass


def by_default(X, k=K):
    return np.asarray(X, dtype=float) * k


def scaled(k):
    def decorate(func):
        @functools.wraps(func)
        def wrapper(X):
            return func(X) * k

        return wrapper

    return decorate


@scaled({k})
def decorated(X):
    return np.asarray(X, dtype=float)
"""


def test_an_edited_callable_object_cached_function_base_class_or_default_is_a_new_key(
    tmp_path, monkeypatch
):
    # issue 33 red team, defect 4: these were keyed by name (or, decorated, refused)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)  # both versions have one size
    X = np.arange(6.0).reshape(3, 2)
    memory = str(tmp_path / "cache")
    try:
        for k in (2, 3):
            (tmp_path / "front_c.py").write_text(CALLABLES.format(k=k))
            module = importlib.reload(sys.modules["front_c"]) if k == 3 else None
            module = module or importlib.import_module("front_c")
            fronts = {
                "callable object": FunctionTransformer(module.Scale()),
                "functools.cache": FunctionTransformer(module.times, kw_args={"by": module.factor}),
                "inherited method": module.Step(),
                "default argument": FunctionTransformer(module.by_default),
                "functools.wraps": FunctionTransformer(module.decorated),
            }
            for name, front in fronts.items():
                got = CachedTransformer(front, memory=memory).fit_transform(X)
                np.testing.assert_array_equal(got, X * k, err_msg=name)
    finally:
        sys.modules.pop("front_c", None)


def test_an_iterator_of_paths_is_refused_naming_what_to_pass(tmp_path):
    # issue 33 red team, defect 6: what cannot be keyed gave a bare TypeError from pickle
    paths = [write_clip(tmp_path / "clip.wav", 0)]
    cached = CachedTransformer(make_pipeline(AudioLoader(sr=SR), Peaks()), memory=str(tmp_path))
    with pytest.raises(TypeError, match=r"X is an iterator .* pass a list"):
        cached.fit(iter(paths))


def test_a_lambda_is_refused_naming_where_it_is(tmp_path):
    cached = CachedTransformer(FunctionTransformer(lambda X: X), memory=str(tmp_path))
    with pytest.raises(ValueError, match=r"transformer__func is a lambda .* define it with `def`"):
        cached.fit(np.zeros((2, 2)))
    # without a cache nothing needs a key
    assert (
        CachedTransformer(FunctionTransformer(lambda X: X)).fit_transform(np.ones((2, 2))).sum()
        == 4
    )


def test_containers_are_keyed_by_samples_and_rate(tmp_path):
    clips = [np.linspace(-1, 1, 50, dtype=np.float32), np.zeros(30, np.float32)]
    memory = str(tmp_path / "cache")
    for make in (
        lambda sr: Waveforms(clips, sr=sr),
        lambda sr: WaveformArray(np.stack([clips[0], clips[0]]), sr=sr),
        lambda sr: Spectra([c.reshape(5, -1) for c in clips], sr=sr),
    ):
        at_8k = CachedTransformer(RateAware(), memory=memory).fit_transform(make(8000))
        at_16k = CachedTransformer(RateAware(), memory=memory).fit_transform(make(16000))
        np.testing.assert_array_equal(at_16k, 2 * at_8k)


def test_execution_only_parameters_and_mapping_order_reuse_the_cache(tmp_path, decoded):
    paths = [write_clip(tmp_path / f"clip{i}.wav", i) for i in range(2)]
    memory = str(tmp_path / "cache")

    def run(n_jobs, weights):
        front = make_pipeline(
            AudioLoader(sr=SR, n_jobs=n_jobs), Peaks(weights=weights, n_jobs=n_jobs)
        )
        return CachedTransformer(front, memory=memory).fit_transform(paths)

    first = run(None, {"a": 1, "b": 2})
    assert len(decoded) == 2
    np.testing.assert_array_equal(run(2, {"b": 2, "a": 1}), first)
    assert len(decoded) == 2  # n_jobs and the order of a mapping change nothing
    run(None, {"a": 1, "b": 3})
    assert len(decoded) == 4


def test_another_library_version_is_a_new_key(tmp_path, decoded, monkeypatch):
    from audiosk.model_selection import _cache

    paths = [write_clip(tmp_path / "clip.wav", 0)]
    front = make_pipeline(AudioLoader(sr=SR), Peaks())
    CachedTransformer(front, memory=str(tmp_path / "cache")).fit_transform(paths)
    other = {**_cache.library_versions(), "librosa": "0.0.1"}
    monkeypatch.setattr(_cache, "library_versions", lambda: other)
    CachedTransformer(front, memory=str(tmp_path / "cache")).fit_transform(paths)
    assert len(decoded) == 2
