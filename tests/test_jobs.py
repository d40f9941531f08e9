"""The job layer: settings by hash, rows by content, atomic writes; the jobs' property test."""

import functools
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from sklearn.base import BaseEstimator, TransformerMixin

from audiosk._jobs import (
    check_same_settings,
    read_table,
    settings_record,
    write_atomic,
)
from audiosk.extraction import extract_features
from audiosk.images import write_spectrogram_images
from audiosk.utils._hashing import file_digest

SR = 8000


def scaled(values, factor=2.0):
    return values * factor


def test_settings_hash_arrays_by_content_and_functions_by_source():
    base = settings_record({"w": np.zeros(3000), "f": scaled})
    changed = np.zeros(3000)
    changed[2999] = 1e-12
    assert settings_record({"w": changed, "f": scaled})["w"]["hash"] != base["w"]["hash"]
    assert settings_record({"w": np.zeros(3000), "f": scaled}) == base  # stable across calls
    partial = settings_record({"f": functools.partial(scaled, factor=3.0)})
    assert partial["f"]["hash"] != settings_record({"f": functools.partial(scaled)})["f"]["hash"]
    factor = 2.0

    def closure(values):
        return values * factor

    with pytest.raises(ValueError, match="f is a closure .* captured values"):
        settings_record({"f": closure})
    with pytest.raises(ValueError, match="f is a lambda"):
        settings_record({"f": lambda v: v})


def test_settings_are_numbers_by_value():
    # issue 33 red team, defect 5: settings were keyed by Python type (0.0 is not 0)
    def key(value):
        return settings_record({"v": value})["v"]["hash"]

    for same in (
        [0, 0.0, -0.0, np.int64(0), np.float32(0.0)],
        [5, 5.0, np.int64(5), np.uint8(5), 5 + 0j],
        [0.1, np.float64(0.1)],
        [float("nan"), np.nan, -np.nan, np.float32("nan")],
        [{"a": 2, "b": [1, 2]}, {"b": [1.0, 2.0], "a": np.int64(2)}],
    ):
        assert len({key(v) for v in same}) == 1, same
    for other in ([True, 1], [False, 0], [0.1, np.float32(0.1)], [5, 5.5], [1, "1"]):
        assert len({key(v) for v in other}) == 2, other


def test_a_difference_is_named_with_both_values(tmp_path):
    then = settings_record({"sr": 8000.0, "kind": "mel"})
    now = settings_record({"sr": 16000.0, "kind": "mel"})
    with pytest.raises(ValueError, match=r"other settings \(sr: 8000.0 then, 16000.0 now\)\."):
        check_same_settings(then, now, tmp_path / "t.csv", tmp_path / "t.csv.job.json")
    check_same_settings(then, settings_record({"sr": 8000.0, "kind": "mel"}), tmp_path, tmp_path)


def test_read_table_keeps_names_as_text(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("path,error,x\n0001,,1.5\n0002,bad,\n")
    table = read_table(path)
    assert table["path"].tolist() == ["0001", "0002"] and table["error"].tolist() == ["", "bad"]
    assert table["x"].iloc[0] == 1.5 and np.isnan(table["x"].iloc[1])


def test_a_failed_write_leaves_the_old_file_and_nothing_else(tmp_path):
    target = tmp_path / "t.csv"
    target.write_text("old")
    with pytest.raises(OSError, match="disk full"), write_atomic(target) as tmp:
        tmp.write_text("half")
        raise OSError("disk full")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["t.csv"]


def test_file_digest_is_of_the_bytes(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"\x00\x01")
    b.write_bytes(b"\x00\x02")  # same size
    assert file_digest(a) != file_digest(b) and file_digest(tmp_path / "missing") == ""


# Property tests: any sequence of runs on one output, with random subsets, orders, settings
# and file edits, returns what a fresh run on the current files and settings returns, or
# refuses with an error naming the setting that changed.


class Stats(TransformerMixin, BaseEstimator):
    """Mean and peak of each clip, times ``scale``: a cheap extractor."""

    def __init__(self, scale=1.0):
        self.scale = scale

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.array([[np.mean(x) * self.scale, np.max(np.abs(x)) * self.scale] for x in X])

    def get_feature_names_out(self, input_features=None):
        return np.array(["mean", "peak"])


N_FILES = 4


def write_clip(path, seed):
    if seed < 0:  # an unreadable file
        Path(path).write_bytes(b"not audio")
        return
    rng = np.random.default_rng(seed)
    sf.write(path, rng.uniform(-0.5, 0.5, SR // 20).astype(np.float32), SR)


runs = st.lists(
    st.fixed_dictionaries(
        {
            "files": st.lists(
                st.integers(0, N_FILES - 1), min_size=1, max_size=N_FILES, unique=True
            ),
            "setting": st.sampled_from([1.0, 2.0]),
            "edit": st.none() | st.tuples(st.integers(0, N_FILES - 1), st.integers(-1, 3)),
        }
    ),
    min_size=1,
    max_size=4,
)


@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(runs=runs, suffix=st.sampled_from([".csv", ".parquet"]))
def test_extract_features_equals_a_fresh_run_or_names_the_difference(runs, suffix):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = [str(folder / f"clip{i}.wav") for i in range(N_FILES)]
        for i, path in enumerate(paths):
            write_clip(path, 100 + i)
        out, made_with = folder / f"table{suffix}", None
        for number, step in enumerate(runs):
            if step["edit"] is not None:
                write_clip(paths[step["edit"][0]], step["edit"][1])
            asked = [paths[i] for i in step["files"]]
            extractor = Stats(scale=step["setting"])
            if made_with is not None and made_with != step["setting"]:
                with pytest.raises(ValueError, match=r"extractor\.scale: \d\.0 then, \d\.0 now"):
                    extract_features(asked, extractor, out=out, sr=SR, verbose=0)
                continue
            table = extract_features(asked, extractor, out=out, sr=SR, verbose=0)
            made_with = step["setting"]
            fresh_out = folder / f"fresh{number}{suffix}"
            fresh = extract_features(asked, extractor, out=fresh_out, sr=SR, verbose=0)
            pd.testing.assert_frame_equal(table, fresh)
            failed = Path(str(out) + ".failures.csv")
            fresh_failed = Path(str(fresh_out) + ".failures.csv")
            assert failed.exists() == fresh_failed.exists()
            if failed.exists():
                pd.testing.assert_frame_equal(read_table(failed), read_table(fresh_failed))


image_runs = st.lists(
    st.fixed_dictionaries(
        {
            "files": st.lists(st.integers(0, 2), min_size=1, max_size=3, unique=True),
            "setting": st.sampled_from([64, 128]),
            "edit": st.none() | st.tuples(st.integers(0, 2), st.integers(-1, 3)),
        }
    ),
    min_size=1,
    max_size=3,
)


def image_rows(report, root):
    rows = report.drop(columns="status").copy()
    rows["image"] = [str(Path(p).relative_to(root)) if p else "" for p in rows["image"]]
    return rows


@pytest.mark.slow
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(runs=image_runs)
def test_spectrogram_images_equal_a_fresh_run_or_name_the_difference(runs):
    drawing = dict(sr=SR, n_fft=128, kinds=("mel",), n_mels=16, figsize=(0.64, 0.32))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = [str(folder / f"clip{i}.wav") for i in range(3)]
        for i, path in enumerate(paths):
            write_clip(path, 100 + i)
        out, made_with = folder / "images", None
        for number, step in enumerate(runs):
            if step["edit"] is not None:
                write_clip(paths[step["edit"][0]], step["edit"][1])
            asked = [paths[i] for i in step["files"]]
            hop = step["setting"]
            if made_with is not None and made_with != hop:
                with pytest.raises(ValueError, match=rf"step\.hop_length: {made_with} then"):
                    write_spectrogram_images(asked, out, hop_length=hop, **drawing)
                continue
            report = write_spectrogram_images(asked, out, hop_length=hop, **drawing)
            made_with = hop
            fresh_root = folder / f"fresh{number}"
            fresh = write_spectrogram_images(asked, fresh_root, hop_length=hop, **drawing)
            pd.testing.assert_frame_equal(
                image_rows(report, out), image_rows(fresh, fresh_root), check_dtype=False
            )
            for image in fresh["image"][fresh["image"] != ""]:
                kept = out / Path(image).relative_to(fresh_root)
                np.testing.assert_array_equal(
                    np.asarray(Image.open(kept)), np.asarray(Image.open(image))
                )


def contend(lock, n_threads=6):
    """Start ``n_threads`` runs on ``lock`` at once; return the most inside together, and errors."""
    import threading

    from audiosk.utils._lock import FileLock

    inside, most, errors = [0], [0], []
    start, guard = threading.Barrier(n_threads), threading.Lock()

    def run():
        try:
            start.wait()
            with FileLock(lock, "the test", wait=30):
                with guard:
                    inside[0] += 1
                    most[0] = max(most[0], inside[0])
                threading.Event().wait(0.01)
                with guard:
                    inside[0] -= 1
        except Exception as exc:  # noqa: BLE001 - reported by the caller
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return most[0], errors


def test_a_dead_holders_lock_is_taken_over_by_exactly_one_run(tmp_path):
    # many runs finding the same dead holder: none may delete the lock the first one took
    import subprocess
    import sys

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    for attempt in range(3):
        lock = tmp_path / f"lock{attempt}"
        lock.write_text(f"{dead.pid} 0")
        most, errors = contend(lock)
        assert not errors and most == 1 and not lock.exists()
        assert not list(tmp_path.iterdir())  # no lock, takeover or temporary file left


# Issue 33: one content key, modes as a plain write gives them, locks that name their host.


class Mapped(TransformerMixin, BaseEstimator):
    """Mean of each clip times ``weights["scale"]``; ``n_jobs`` and ``verbose`` change nothing."""

    def __init__(self, weights=None, n_jobs=None, verbose=0):
        self.weights = weights
        self.n_jobs = n_jobs
        self.verbose = verbose

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.array([[np.mean(x) * self.weights["scale"]] for x in X])

    def get_feature_names_out(self, input_features=None):
        return np.array(["mean"])


def test_a_resume_with_other_n_jobs_verbose_or_mapping_order_is_accepted(tmp_path, capsys):
    # defect 17: get_params(deep=True) was hashed whole, and mappings in insertion order
    paths = [str(tmp_path / f"clip{i}.wav") for i in range(2)]
    for i, path in enumerate(paths):
        write_clip(path, i)
    out = tmp_path / "t.csv"
    first = extract_features(paths, Mapped({"scale": 2.0, "shift": 0}), out=out, sr=SR, verbose=0)
    again = extract_features(
        paths, Mapped({"shift": 0, "scale": 2.0}, n_jobs=2, verbose=1), out=out, sr=SR, verbose=1
    )
    assert "Resuming: 2 of 2 files already done." in capsys.readouterr().out
    pd.testing.assert_frame_equal(again, first)
    with pytest.raises(
        ValueError, match=r"extractor\.weights: .* then, \{'shift': 0, 'scale': 3\.0\} now"
    ):
        extract_features(paths, Mapped({"shift": 0, "scale": 3.0}), out=out, sr=SR, verbose=0)


def test_the_versions_of_the_libraries_that_change_numbers_are_settings(tmp_path):
    import json

    import librosa

    path = str(tmp_path / "clip.wav")
    write_clip(path, 0)
    out = tmp_path / "t.csv"
    extract_features([path], Stats(), out=out, sr=SR, verbose=0)
    record_path = tmp_path / "t.csv.job.json"
    record = json.loads(record_path.read_text())
    for library in ("audiosk", "numpy", "scipy", "librosa", "soundfile", "libsndfile", "soxr"):
        assert library in record["settings"], library
    assert record["settings"]["librosa"]["shown"] == repr(librosa.__version__)
    record["settings"]["librosa"] = {"hash": "0", "shown": "'0.9.0'"}
    record_path.write_text(json.dumps(record))
    with pytest.raises(ValueError, match=rf"librosa: '0\.9\.0' then, '{librosa.__version__}' now"):
        extract_features([path], Stats(), out=out, sr=SR, verbose=0)


def test_a_setting_that_names_a_file_is_that_files_bytes(tmp_path):
    # a weights file replaced under its name is another setting, however it is named
    weights = tmp_path / "w.npy"
    np.save(weights, np.ones(3))
    first = settings_record({"extractor": Mapped({"file": str(weights)})})
    as_path = settings_record({"extractor": Mapped({"file": weights})})  # str or Path: one file
    assert first["extractor.weights"]["hash"] == as_path["extractor.weights"]["hash"]
    np.save(weights, np.full(3, 2.0))
    second = settings_record({"extractor": Mapped({"file": str(weights)})})
    assert first["extractor.weights"]["hash"] != second["extractor.weights"]["hash"]
    assert "(sha256 " in settings_record({"weights": weights})["weights"]["shown"]


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_files_have_the_modes_a_plain_write_gives(tmp_path, umask):
    # defect 5: every file written through the atomic writer was 0600 (mkstemp)
    import stat

    paths = [str(tmp_path / f"clip{i}.wav") for i in range(2)]
    for i, path in enumerate(paths):
        write_clip(path, i)
    (tmp_path / "bad.wav").write_bytes(b"not audio")
    old = os.umask(umask)
    try:
        out = tmp_path / "t.csv"
        extract_features([*paths, str(tmp_path / "bad.wav")], Stats(), out=out, sr=SR, verbose=0)
        images = tmp_path / "images"
        write_spectrogram_images(paths, images, sr=SR, n_fft=128, kinds=("mel",), n_mels=16)
        written = [out, tmp_path / "t.csv.job.json", tmp_path / "t.csv.failures.csv"]
        written += [images / "mel" / "clip0.png", images / "mel" / "job.json"]
        for path in written:
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o666 & ~umask, path
        os.chmod(out, 0o640)  # rewriting a file keeps its mode, as open(path, "w") does
        extract_features(paths[:1], Stats(), out=out, sr=SR, verbose=0)
        assert stat.S_IMODE(os.stat(out).st_mode) == 0o640
    finally:
        os.umask(old)


def test_a_lock_held_on_another_host_is_never_taken_over(tmp_path):
    # defect 18: the lock named its holder by pid only; on a shared file system a live
    # holder on another host looked dead
    import socket
    import subprocess
    import sys

    from audiosk.utils._lock import FileLock

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock = tmp_path / "t.csv.lock"
    lock.write_text(f"not-{socket.gethostname()} {dead.pid} 1")
    with pytest.raises(RuntimeError, match=rf"process {dead.pid} on host not-.*delete it only if"):
        extract_features(["a.wav"], Stats(), out=tmp_path / "t.csv", sr=SR, verbose=0)
    assert lock.exists()
    with FileLock(tmp_path / "mine.lock", "the test"):
        assert (tmp_path / "mine.lock").read_text().split()[0] == socket.gethostname()
    lock.write_text(f"{socket.gethostname()} {dead.pid} 1")  # this host, dead: taken over
    with FileLock(lock, "the test"):
        pass
    assert not lock.exists()


@pytest.mark.parametrize(
    ("call", "parameter"),
    [
        (lambda t: extract_features("a.wav", "mfcc", out=t / "t.csv"), "paths"),
        (lambda t: extract_features(["a.wav"], "mfcc", out=t / "t.csv", n_jobs=1.5), "n_jobs"),
        (lambda t: write_spectrogram_images("a.wav", t), "paths"),
        (lambda t: write_spectrogram_images(["a.wav"], t, sr=0), "sr"),
        (lambda t: write_spectrogram_images(["a.wav"], t, batch_size=0), "batch_size"),
        (lambda t: write_spectrogram_images(["a.wav"], t, kinds="mel"), "kinds"),
        (lambda t: _datasets().load_image_folder(t, kind=3), "kind"),
        (lambda t: _datasets().load_audio_folder(t, extensions="wav"), "extensions"),
        (lambda t: _datasets().load_pickle_folder(t, sr=-1), "sr"),
        (lambda t: _datasets().fetch_fsdd(data_home=t, verbose="yes"), "verbose"),
        (lambda t: _datasets().fetch_esc50(data_home=t, url=3), "url"),
        (
            lambda t: _datasets().fetch_gtzan_features(data_home=t, window_seconds=10),
            "window_seconds",
        ),
        (lambda t: _datasets().fetch_panns_weights("vgg", data_home=t), "arch"),
        (lambda t: _datasets().gtzan_table(3), "path"),
        (lambda t: _datasets().get_data_home(3), "data_home"),
    ],
)
def test_job_functions_name_the_parameter_they_refuse(tmp_path, call, parameter):
    # issue 36: validate_params instead of checks by hand
    from audiosk.utils._sklearn_compat import InvalidParameterError

    with pytest.raises(InvalidParameterError, match=rf"The '{parameter}' parameter of \w+ must be"):
        call(tmp_path)
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def _datasets():
    import audiosk.datasets

    return audiosk.datasets
