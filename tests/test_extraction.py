"""extract_features: failures, order, windows, resuming only what the same settings computed."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from sklearn.base import BaseEstimator, TransformerMixin

from audiosk._jobs import read_table
from audiosk.cli import main
from audiosk.containers import Waveforms
from audiosk.extraction import extract_features
from audiosk.features import GTZANFeatures
from audiosk.features._gtzan import GTZAN_COLUMNS
from audiosk.io import load_audio

from ._helpers import music

SR = 8000


def write_tones(folder, n=6, seconds=0.5):
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        t = np.arange(int(SR * seconds)) / SR
        path = folder / f"tone{i}.wav"
        sf.write(str(path), (0.3 * np.sin(2 * np.pi * (200 + 100 * i) * t)).astype(np.float32), SR)
        paths.append(str(path))
    return paths


def run(paths, out, **kwargs):
    return extract_features(paths, "mfcc", out=out, sr=SR, verbose=0, **kwargs)


def test_other_settings_are_refused_with_the_difference(tmp_path):
    paths = write_tones(tmp_path / "audio")
    out = tmp_path / "table.csv"
    run(paths, out)
    with pytest.raises(ValueError, match=r"other settings \(sr: 8000.0 then, 16000.0 now\)"):
        extract_features(paths, "mfcc", out=out, sr=16000, verbose=0)
    with pytest.raises(ValueError, match=r"extractor: 'mfcc' then, 'gtzan' now"):
        extract_features(paths, "gtzan", out=out, sr=SR, verbose=0)
    with pytest.raises(ValueError, match="window_seconds"):
        run(paths, out, window_seconds=0.25)
    # a killed run's parts are checked the same way
    parts = tmp_path / "other.csv.parts"
    parts.mkdir()
    (parts / "settings.json").write_text(json.dumps({"sr": {"hash": "0", "shown": "1.0"}}))
    with pytest.raises(ValueError, match="sr: 1.0 then, 8000.0 now"):
        run(paths, tmp_path / "other.csv")


def test_a_window_table_of_the_earlier_rule_is_refused(tmp_path):
    """Segment tables cut before windows ended at the file's end are not resumed."""
    paths = write_tones(tmp_path / "audio", n=2)
    out = tmp_path / "windows.csv"
    run(paths, out, window_seconds=0.2)
    record_path = tmp_path / "windows.csv.job.json"
    record = json.loads(record_path.read_text())
    del record["settings"]["windows"]  # as written before the rule
    record_path.write_text(json.dumps(record))
    with pytest.raises(ValueError, match=r"windows: unset then, .*the file's end"):
        run(paths, out, window_seconds=0.2)


def test_a_replaced_file_is_computed_again(tmp_path):
    paths = write_tones(tmp_path / "audio")
    out = tmp_path / "table.csv"
    first = run(paths, out)
    noise = np.random.default_rng(0).normal(scale=0.3, size=SR // 2).astype(np.float32)
    sf.write(paths[2], noise, SR)
    os.utime(paths[2], ns=(10**18, 10**18))  # a different modification time, as a copy gives
    second = run(paths, out)
    changed = ~np.isclose(first.iloc[:, 1:].to_numpy(), second.iloc[:, 1:].to_numpy()).all(axis=1)
    assert changed.tolist() == [False, False, True, False, False, False]
    fresh = run(paths, tmp_path / "fresh.csv")
    pd.testing.assert_frame_equal(second, fresh)


def test_new_files_are_added_to_a_finished_table(tmp_path, capsys):
    paths = write_tones(tmp_path / "audio", n=6)
    out = tmp_path / "table.csv"
    run(paths[:4], out)
    table = extract_features(paths, "mfcc", out=out, sr=SR, verbose=1)
    assert "Resuming: 4 of 6 files already done." in capsys.readouterr().out
    pd.testing.assert_frame_equal(table, run(paths, tmp_path / "fresh.csv"))


def test_a_table_without_its_record_is_not_trusted(tmp_path):
    paths = write_tones(tmp_path / "audio", n=2)
    out = tmp_path / "table.csv"
    run(paths, out)
    (tmp_path / "table.csv.job.json").unlink()
    with pytest.raises(ValueError, match="has no record of how it was made"):
        run(paths, out)


def test_parts_hold_no_pickles(tmp_path):
    paths = write_tones(tmp_path / "audio", n=2)
    parts = tmp_path / "table.csv.parts"
    parts.mkdir()
    # a part planted by someone else is read as text, never executed
    (parts / "part-000000.csv").write_text(f"path,error,digest,mfcc1_mean\n{paths[0]},,x,1.0\n")
    table = run(paths, tmp_path / "table.csv")
    assert len(table) == 2 and table["mfcc1_mean"].iloc[0] != 1.0  # stale stamp: recomputed
    assert not list(tmp_path.glob("**/*.pkl"))


def test_a_second_run_on_the_same_output_is_refused(tmp_path):
    paths = write_tones(tmp_path / "audio", n=2)
    parts = tmp_path / "table.csv.parts"
    parts.mkdir()
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / "table.csv.lock").write_text(str(other.pid))
        with pytest.raises(RuntimeError, match=rf"Another run \(process {other.pid}\) is writing"):
            run(paths, tmp_path / "table.csv")
    finally:
        other.kill()
        other.wait()
    # the lock of a process that died is taken over
    assert len(run(paths, tmp_path / "table.csv")) == 2


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"window_seconds": -1}, r"'window_seconds' parameter of extract_features must be"),
        ({"window_seconds": True}, r"'window_seconds' parameter of extract_features must be"),
        ({"sr": 0}, r"'sr' parameter of extract_features must be a float in the range \(0"),
        ({"batch_size": 0}, r"'batch_size' parameter of extract_features must be an int"),
        ({"hop_seconds": 0.5}, "hop_seconds needs window_seconds"),
        (
            {"window_seconds": 1, "hop_seconds": 2},
            "hop_seconds=2 is longer than window_seconds=1",
        ),
        ({"extractor": "chroma"}, r"'extractor' parameter of extract_features must be a str among"),
        ({"paths": "clip.wav"}, r"'paths' parameter .* one file is \[path\]\. Got 'clip.wav'"),
        (
            {"paths": ["a.wav", "b.wav", "a.wav"]},
            "names these files more than once: 'a.wav' and 'a",
        ),
    ],
)
def test_parameters_are_checked_before_any_file_is_read(tmp_path, kwargs, match):
    params = {"paths": ["missing.wav"], "extractor": "mfcc", "sr": SR, **kwargs}
    with pytest.raises(ValueError, match=match):
        extract_features(out=tmp_path / "t.csv", verbose=0, **params)
    assert not (tmp_path / "t.csv.parts").exists()


def test_an_output_folder_that_does_not_exist_is_named(tmp_path):
    # issue 33, defect 11: the error named the job's internal lock file
    out = tmp_path / "no" / "such" / "t.csv"
    with pytest.raises(
        FileNotFoundError, match=r"out='.*t\.csv' lies in '.*such', which is not an"
    ):
        extract_features(["a.wav"], "mfcc", out=out, sr=SR, verbose=0)
    assert not (tmp_path / "no").exists()


def test_the_record_sits_beside_the_table(tmp_path):
    paths = write_tones(tmp_path / "audio", n=2)
    run(paths, tmp_path / "table.parquet")
    record = json.loads((tmp_path / "table.parquet.job.json").read_text())
    assert record["settings"]["extractor"]["shown"] == "'mfcc'"
    assert [row[0] for row in record["rows"]] == paths
    assert len(read_table(tmp_path / "table.parquet")) == 2


@pytest.mark.slow
def test_values_do_not_depend_on_n_jobs(tmp_path):
    # every batch runs BLAS on one thread, in the main process and in the workers alike
    paths = write_tones(tmp_path / "audio", n=8)
    one = extract_features(paths, "gtzan", out=tmp_path / "one.csv", sr=SR, verbose=0)
    two = extract_features(
        paths, "gtzan", out=tmp_path / "two.csv", sr=SR, n_jobs=2, batch_size=2, verbose=0
    )
    pd.testing.assert_frame_equal(one, two, check_exact=True)


class CrashOnShortClips(TransformerMixin, BaseEstimator):
    """An extractor whose 'native decoder' kills its process on clips under 0.3 s."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        import signal

        if len(X[0]) < 0.3 * SR:
            os.kill(os.getpid(), signal.SIGSEGV)
        return np.array([[float(len(X[0]))]])

    def get_feature_names_out(self, input_features=None):
        return np.array(["length"])


@pytest.mark.slow
def test_a_file_that_kills_its_worker_is_a_failure_and_the_run_goes_on(tmp_path):
    paths = write_tones(tmp_path / "audio", n=8)
    short = tmp_path / "audio" / "short.wav"
    sf.write(str(short), np.zeros(SR // 10, np.float32), SR)
    files = [*paths[:5], str(short), *paths[5:]]
    table = extract_features(
        files, CrashOnShortClips(), out=tmp_path / "t.csv", sr=SR, n_jobs=2, batch_size=2, verbose=0
    )
    assert table["path"].tolist() == paths and (table["length"] == SR // 2).all()
    failures = pd.read_csv(tmp_path / "t.csv.failures.csv")
    assert failures["path"].tolist() == [str(short)]
    assert failures["error"][0].startswith("WorkerCrash")


GTZAN_SR = 22050


def write_files(folder, n=6, seconds=1.5):
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"clip{i}.wav"
        sf.write(str(path), music(seconds, seed=i), GTZAN_SR)
        paths.append(str(path))
    return paths


@pytest.mark.slow
def test_extract_features_failures_and_order(tmp_path):
    paths = write_files(tmp_path / "audio")
    bad = tmp_path / "audio" / "broken.wav"
    bad.write_text("not audio")
    out = tmp_path / "table.csv"
    table = extract_features(
        [paths[0], str(bad)] + paths[1:], "gtzan", out=out, n_jobs=2, batch_size=2, verbose=0
    )
    assert table["path"].tolist() == paths
    assert list(table.columns) == ["path"] + GTZAN_COLUMNS
    failures = pd.read_csv(tmp_path / "table.csv.failures.csv")
    assert failures["path"].tolist() == [str(bad)] and "AudioLoadError" in failures["error"][0]
    expected = GTZANFeatures().fit_transform(
        Waveforms([load_audio(p, sr=GTZAN_SR)[0] for p in paths], sr=GTZAN_SR)
    )
    # workers run BLAS on one thread: float32 sums in another order (1e-7)
    np.testing.assert_allclose(table[GTZAN_COLUMNS].to_numpy(), expected, rtol=1e-6)
    saved = read_table(out)
    pd.testing.assert_frame_equal(saved, table, check_dtype=False)
    assert not (tmp_path / "table.csv.parts").exists()


@pytest.mark.slow
def test_window_tables_keep_the_source_as_group(tmp_path):
    paths = write_files(tmp_path / "audio", n=2, seconds=3.2)
    table = extract_features(
        paths, "mfcc", out=tmp_path / "seg.parquet", window_seconds=1.0, verbose=0
    )
    # 3.2 s in 1 s windows: three, then one ending at the file's end (from 2.2 s)
    assert table.groupby("path")["window"].apply(list).tolist() == [[0, 1, 2, 3]] * 2
    np.testing.assert_allclose(table["start"], [0.0, 1.0, 2.0, 2.2] * 2)
    y = load_audio(paths[1], sr=GTZAN_SR)[0]
    from audiosk.extraction import _named_extractor

    extractor = _named_extractor("mfcc", GTZAN_SR)
    for row, piece in ((5, y[GTZAN_SR : 2 * GTZAN_SR]), (7, y[-GTZAN_SR:])):
        expected = extractor.fit_transform(Waveforms([piece], sr=GTZAN_SR))[0]
        np.testing.assert_allclose(table.iloc[row, 3:].to_numpy(dtype=float), expected, rtol=1e-6)
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "seg.parquet"), table, check_dtype=False
    )


@pytest.mark.slow
def test_killed_extraction_resumes_without_recomputing(tmp_path):
    folder = tmp_path / "audio"
    write_files(folder, n=24, seconds=2.0)
    full = tmp_path / "full.csv"
    assert main(["extract", str(folder), "-o", str(full)]) == 0

    out = tmp_path / "resumed.csv"
    cmd = [sys.executable, "-m", "audiosk.cli", "extract", str(folder), "-o", str(out)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    parts = Path(str(out) + ".parts")
    deadline = time.time() + 120
    while time.time() < deadline and len(list(parts.glob("part-*.csv"))) < 1:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    n_parts = len(list(parts.glob("part-*.csv")))
    assert 1 <= n_parts < 3 and not out.exists(), "the run was not interrupted midway"
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    done_before = 8 * n_parts
    assert f"Resuming: {done_before} of 24 files already done." in result.stdout
    resumed, reference_table = read_table(out), read_table(full)
    assert resumed["path"].is_unique and len(resumed) == 24
    pd.testing.assert_frame_equal(resumed, reference_table)
    # running once more recomputes nothing and keeps the table
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert "Resuming: 24 of 24 files already done." in again.stdout
    pd.testing.assert_frame_equal(read_table(out), reference_table)


# Each test below names the finding of the issue "Trust at the seams" that it covers.


def test_rows_are_those_of_paths_in_their_order(tmp_path):
    # finding 1: a finished table returned its old rows whatever paths asked
    paths = write_tones(tmp_path / "audio", n=6)
    out = tmp_path / "table.csv"
    full = run(paths, out)
    subset = [paths[4], paths[1]]
    table = run(subset, out)
    assert table["path"].tolist() == subset
    pd.testing.assert_frame_equal(table, run(subset, tmp_path / "fresh.csv"))
    expected = full.set_index("path").loc[subset].reset_index().astype({"path": object})
    pd.testing.assert_frame_equal(table, expected)
    assert read_table(out)["path"].tolist() == subset  # the file holds what was asked too
    test_files = write_tones(tmp_path / "test", n=2)
    assert run(test_files, out)["path"].tolist() == test_files  # never the training rows


def test_csv_and_parquet_outputs_are_two_jobs(tmp_path):
    # finding 2: t.csv and t.parquet shared one record and one failures file
    paths = write_tones(tmp_path / "audio", n=2)
    run(paths, tmp_path / "t.csv")
    table = run(paths, tmp_path / "t.parquet", window_seconds=0.25)
    assert table["window"].tolist() == [0, 1, 0, 1]
    assert list(run(paths, tmp_path / "t.csv").columns[1:3]) == ["mfcc1_mean", "mfcc1_var"]
    assert (tmp_path / "t.csv.job.json").exists() and (tmp_path / "t.parquet.job.json").exists()


class Weighted(TransformerMixin, BaseEstimator):
    """Weights a clip's first samples; ``summary`` reduces them to one number."""

    def __init__(self, weights=None, summary=np.sum):
        self.weights = weights
        self.summary = summary

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        w = np.asarray(self.weights)
        return np.array([[float(self.summary(np.asarray(x[: len(w)]) * w))] for x in X])

    def get_feature_names_out(self, input_features=None):
        return np.array(["weighted"])


def total(values):
    return np.sum(values)


def test_settings_are_compared_by_content_not_repr(tmp_path):
    # finding 10: repr() shortened a 3000-value array, and recorded a function by address
    paths = write_tones(tmp_path / "audio", n=2)
    out = tmp_path / "t.csv"
    weights = np.ones(3000)
    extract_features(paths, Weighted(weights, total), out=out, sr=SR, verbose=0)
    changed = weights.copy()
    changed[1500] = 2.0
    with pytest.raises(ValueError, match=r"extractor\.weights: array"):
        extract_features(paths, Weighted(changed, total), out=out, sr=SR, verbose=0)
    # the same named function resumes: nothing is recomputed
    again = extract_features(paths, Weighted(weights.copy(), total), out=out, sr=SR, verbose=1)
    assert len(again) == 2
    with pytest.raises(ValueError, match=r"extractor\.summary is a lambda.*define it with `def`"):
        extract_features(
            paths, Weighted(weights, lambda v: v.sum()), out=tmp_path / "l.csv", sr=SR, verbose=0
        )
    assert not (tmp_path / "l.csv.parts").exists()


def test_resuming_says_nothing_was_recomputed_for_a_named_function(tmp_path, capsys):
    paths = write_tones(tmp_path / "audio", n=2)
    out = tmp_path / "t.csv"
    extract_features(paths, Weighted(np.ones(10), total), out=out, sr=SR, verbose=0)
    extract_features(paths, Weighted(np.ones(10), total), out=out, sr=SR, verbose=1)
    assert "Resuming: 2 of 2 files already done." in capsys.readouterr().out


class FailsWhileFlagged(TransformerMixin, BaseEstimator):
    """Fails while a flag file exists in ``folder`` (a decoder missing, a share down...)."""

    def __init__(self, folder=""):
        self.folder = folder

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        if os.path.exists(os.path.join(self.folder, "flag")):
            raise RuntimeError("not now")
        return np.array([[float(len(X[0]))]])

    def get_feature_names_out(self, input_features=None):
        return np.array(["length"])


def test_failed_files_are_retried_on_every_run(tmp_path):
    # finding 11: once the table was finished, a failed file was never tried again
    paths = write_tones(tmp_path / "audio", n=3)
    flag = tmp_path / "flag"
    flag.touch()
    out = tmp_path / "t.csv"
    step = FailsWhileFlagged(str(tmp_path))  # a folder: a setting by its name
    first = extract_features(paths, step, out=out, sr=SR, verbose=0)
    assert first.empty and len(pd.read_csv(tmp_path / "t.csv.failures.csv")) == 3
    flag.unlink()
    second = extract_features(paths, step, out=out, sr=SR, verbose=0)
    assert second["path"].tolist() == paths and (second["length"] == SR // 2).all()
    assert not (tmp_path / "t.csv.failures.csv").exists()


CRASHING_RUN = """
import os, signal, sys
import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from audiosk.extraction import extract_features

class CrashOnShortClips(TransformerMixin, BaseEstimator):
    def fit(self, X, y=None):
        return self
    def transform(self, X):
        if len(X[0]) < 2400:
            os.kill(os.getpid(), signal.SIGSEGV)
        return np.array([[float(len(X[0]))]])
    def get_feature_names_out(self, input_features=None):
        return np.array(["length"])

table = extract_features(sys.argv[2:], CrashOnShortClips(), out=sys.argv[1], sr=8000, verbose=0)
print("rows", len(table))
"""


@pytest.mark.slow
def test_a_file_that_kills_its_decoder_does_not_kill_a_run_with_default_n_jobs(tmp_path):
    # finding 12: with n_jobs=None the crash killed the run, and every resume died on it
    paths = write_tones(tmp_path / "audio", n=3)
    short = tmp_path / "audio" / "short.wav"
    sf.write(str(short), np.zeros(SR // 10, np.float32), SR)
    out = tmp_path / "t.csv"
    cmd = [sys.executable, "-c", CRASHING_RUN, str(out), paths[0], str(short), *paths[1:]]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "rows 3" in result.stdout
    failures = pd.read_csv(tmp_path / "t.csv.failures.csv")
    assert failures["path"].tolist() == [str(short)]
    assert failures["error"][0].startswith("WorkerCrash")


def test_the_lock_is_held_until_the_parts_are_removed(tmp_path, monkeypatch):
    # finding 13: the lock was released before shutil.rmtree(parts): a second run lost its parts
    from audiosk import extraction

    paths = write_tones(tmp_path / "audio", n=2)
    lock = tmp_path / "t.csv.lock"
    seen = []
    real_rmtree = shutil.rmtree

    def rmtree(path, *args, **kwargs):
        seen.append(any(p.name.endswith(".lock") for p in tmp_path.iterdir()))
        return real_rmtree(path, *args, **kwargs)

    monkeypatch.setattr(extraction.shutil, "rmtree", rmtree)
    run(paths, tmp_path / "t.csv")
    assert seen == [True] and not lock.exists()
    assert not (tmp_path / "t.csv.parts").exists()


def test_a_failed_assembly_leaves_nothing_that_breaks_a_resume(tmp_path, monkeypatch):
    # finding 13: a disk-full assembly left table-sized .tmp files behind
    from audiosk import _jobs

    paths = write_tones(tmp_path / "audio", n=4)
    out = tmp_path / "t.parquet"
    run(paths[:2], out)
    real_write = _jobs.TableWriter.write

    def full_disk(self, frame):
        real_write(self, frame)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_jobs.TableWriter, "write", full_disk)
    with pytest.raises(OSError, match="No space left"):
        run(paths, out)
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]
    monkeypatch.setattr(_jobs.TableWriter, "write", real_write)
    pd.testing.assert_frame_equal(run(paths, out), run(paths, tmp_path / "fresh.parquet"))


def test_temporaries_of_a_killed_run_are_removed(tmp_path):
    paths = write_tones(tmp_path / "audio", n=2)
    stale = [tmp_path / ".t.csv.0a1b2c3d.tmp", tmp_path / ".t.csv.job.json.9f8e7d6c.tmp"]
    for path in stale:
        path.write_text("half a table")
    assert len(run(paths, tmp_path / "t.csv")) == 2
    assert not [p for p in stale if p.exists()]


def test_a_run_leaves_the_temporaries_of_another_output_alone(tmp_path):
    # issue 33 red team, defect 8: a run on t.csv deleted a live run's temporaries of t.csv.v2.csv
    paths = write_tones(tmp_path / "audio", n=1)
    live = [tmp_path / ".t.csv.v2.csv.0a1b2c3d.tmp", tmp_path / ".t.csv.0a1b2c3d9.tmp"]
    for path in live:
        path.write_text("half a table of another run")
    run(paths, tmp_path / "t.csv")
    assert [p.exists() for p in live] == [True, True]


class Killed(BaseException):
    """What a kill -9 at this point would leave: nothing after it runs."""


def weighted(files, out, weight):
    extractor = Weighted(np.full(10, weight), total)
    return extract_features(files, extractor, out=out, sr=SR, verbose=0)


def follow_the_advice(refusal):
    """Delete what a refusal says to delete to start over."""
    for name in re.search(r"delete '(.+)' and '(.+)' to start over", str(refusal.value)).groups():
        shutil.rmtree(name) if os.path.isdir(name) else os.remove(name)


@pytest.mark.parametrize("killed_in", ["write_json", "write_csv"])
def test_a_run_killed_while_a_table_becomes_parts_leaves_no_rows_of_its_settings(
    tmp_path, monkeypatch, killed_in
):
    # issue 33 red team, defect 1: parts made from the table, then a kill before their settings
    from audiosk import extraction

    paths = write_tones(tmp_path / "audio", n=3)
    out = tmp_path / "t.csv"
    weighted(paths, out, 1.0)

    def kill(*args):
        raise Killed

    monkeypatch.setattr(extraction, killed_in, kill)
    with pytest.raises(Killed):
        weighted(paths[:2], out, 1.0)  # a subset: the finished table becomes parts
    monkeypatch.undo()
    with pytest.raises(ValueError, match="other settings") as refusal:
        weighted(paths, out, 2.0)
    follow_the_advice(refusal)
    fresh = weighted(paths, tmp_path / "fresh.csv", 2.0)
    pd.testing.assert_frame_equal(weighted(paths, out, 2.0), fresh)


def test_parts_without_their_settings_are_not_trusted(tmp_path):
    # issue 33 red team, defect 1: a parts folder without settings.json kept its parts
    from audiosk.utils._hashing import file_digest

    paths = write_tones(tmp_path / "audio", n=2)
    old = weighted(paths, tmp_path / "old.csv", 1.0)
    parts = tmp_path / "t.csv.parts"
    parts.mkdir()  # as a run killed before it wrote the settings of its parts leaves it
    old.assign(error="", digest=[file_digest(p) for p in paths]).to_csv(
        parts / "part-000000.csv", index=False
    )
    fresh = weighted(paths, tmp_path / "fresh.csv", 2.0)
    pd.testing.assert_frame_equal(weighted(paths, tmp_path / "t.csv", 2.0), fresh)


def test_settings_equal_in_value_are_one_setting(tmp_path, capsys):
    # issue 33 red team, defect 5: 0.0 and 0, or np.int64(13) and 13, were "other settings"
    from sklearn.pipeline import make_pipeline

    from audiosk.features import MFCC, TemporalStats

    paths = write_tones(tmp_path / "audio", n=2)
    out = tmp_path / "t.csv"

    def mfcc(fmin, n_mfcc, power):
        return make_pipeline(
            MFCC(sr=SR, n_fft=256, fmin=fmin, n_mfcc=n_mfcc, power=power), TemporalStats()
        )

    first = extract_features(paths, mfcc(0.0, 13, 2.0), out=out, sr=SR, verbose=0)
    again = extract_features(paths, mfcc(0, np.int64(13), 2), out=out, sr=SR, verbose=1)
    assert "Resuming: 2 of 2 files already done." in capsys.readouterr().out
    pd.testing.assert_frame_equal(again, first)
    with pytest.raises(ValueError, match=r"extractor\.mfcc__fmin: 0.0 then, 0.5 now"):
        extract_features(paths, mfcc(0.5, 13, 2.0), out=out, sr=SR, verbose=0)


@pytest.mark.parametrize("name", ["o" * 246 + ".csv", "é" * 123 + ".csv"])
def test_an_output_name_of_up_to_255_bytes_is_written_and_resumed(tmp_path, capsys, name):
    # issue 33 red team, defect 9: the job's own files were named past the 255-byte limit
    paths = write_tones(tmp_path / "audio", n=2)
    out = tmp_path / name
    assert len(os.fsencode(out.name)) in (250, 254)
    table = run(paths, out)
    assert len(table) == 2 and out.exists()
    again = extract_features(paths, "mfcc", out=out, sr=SR, verbose=1)
    assert "Resuming: 2 of 2 files already done." in capsys.readouterr().out
    pd.testing.assert_frame_equal(again, table)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith((".tmp", ".lock", ".parts"))]


def test_an_output_name_past_255_bytes_is_refused_naming_out(tmp_path):
    paths = write_tones(tmp_path / "audio", n=1)
    with pytest.raises(ValueError, match=r"out='.*o\.csv' is named by 256 bytes, more than"):
        run(paths, tmp_path / ("o" * 252 + ".csv"))


def test_one_file_by_two_spellings_is_refused_naming_both(tmp_path, monkeypatch):
    # issue 33 red team, defect 10: "./a.wav" and "a.wav" gave two rows of one file
    paths = write_tones(tmp_path / "audio", n=2)
    monkeypatch.chdir(tmp_path / "audio")
    with pytest.raises(ValueError, match=r"more than once: './tone0.wav' and 'tone0.wav'; each"):
        run(["./tone0.wav", paths[1], "tone0.wav"], tmp_path / "t.csv")
    with pytest.raises(ValueError, match=r"more than once: 'tone1.wav' and '/.*/tone1.wav'"):
        run(["tone1.wav", paths[1]], tmp_path / "t.csv")
    assert not (tmp_path / "t.csv").exists()


def test_all_numeric_file_names_stay_names(tmp_path, monkeypatch):
    # finding 14: a file named 0001 was read back as the number 1 (KeyError)
    monkeypatch.chdir(tmp_path)
    for name in ("0001", "0002", "0003"):
        sf.write(name, np.zeros(SR // 2, np.float32), SR, format="WAV")
    run(["0001", "0002"], "t.csv")
    table = run(["0001", "0002", "0003"], "t.csv")
    assert table["path"].tolist() == ["0001", "0002", "0003"]
    assert read_table("t.csv")["path"].tolist() == ["0001", "0002", "0003"]


def test_a_resume_emits_no_warning(tmp_path):
    # a pandas FutureWarning ("will raise in a future version") came with every resume
    paths = write_tones(tmp_path / "audio", n=3)
    out = tmp_path / "t.csv"
    run(paths[:2], out)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(run(paths, out)) == 3


def test_a_content_change_with_the_same_size_and_time_is_seen(tmp_path):
    # rows are keyed by a hash of the bytes: `cp -p` keeps the time, fixed-length WAVs the size
    paths = write_tones(tmp_path / "audio", n=2)
    out = tmp_path / "t.csv"
    first = run(paths, out)
    info = os.stat(paths[0])
    noise = np.random.default_rng(1).normal(scale=0.3, size=SR // 2).astype(np.float32)
    sf.write(paths[0], noise, SR)
    os.utime(paths[0], ns=(info.st_atime_ns, info.st_mtime_ns))
    assert os.path.getsize(paths[0]) == info.st_size
    second = run(paths, out)
    assert not np.allclose(first.iloc[0, 1:].to_numpy(float), second.iloc[0, 1:].to_numpy(float))
    pd.testing.assert_frame_equal(second, run(paths, tmp_path / "fresh.csv"))


def test_a_file_name_that_is_not_utf8_is_a_failure_row(tmp_path):
    # finding 14: a raw UnicodeEncodeError aborted the run
    paths = write_tones(tmp_path / "audio", n=2)
    odd = os.fsdecode(os.fsencode(str(tmp_path)) + b"/caf\xe9.wav")
    with open(odd, "wb") as fh:
        sf.write(fh, np.zeros(SR // 2, np.float32), SR, format="WAV")
    table = run([paths[0], odd, paths[1]], tmp_path / "t.csv")
    assert table["path"].tolist() == paths
    failures = read_table(tmp_path / "t.csv.failures.csv")
    assert failures["path"].tolist() == [odd] and "not valid UTF-8" in failures["error"][0]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_file_name_that_is_not_utf8_fails_the_same_on_every_rerun(tmp_path, suffix):
    # issue 33, defect 9: every rerun raised a raw UnicodeEncodeError and left a .parts folder
    paths = write_tones(tmp_path / "audio", n=2)
    odd = os.fsdecode(os.fsencode(str(tmp_path)) + b"/caf\xe9.wav")
    with open(odd, "wb") as fh:
        sf.write(fh, np.zeros(SR // 2, np.float32), SR, format="WAV")
    out = tmp_path / f"t{suffix}"
    first = run([paths[0], odd, paths[1]], out)
    for asked in ([paths[0], odd, paths[1]], [odd, paths[1]]):
        table = run(asked, out)
        assert table["path"].tolist() == [p for p in asked if p != odd]
        failures = read_table(Path(f"{out}.failures.csv"))
        assert failures["path"].tolist() == [odd] and "not valid UTF-8" in failures["error"][0]
        assert not Path(f"{out}.parts").exists()
    pd.testing.assert_frame_equal(run([paths[0], odd, paths[1]], out), first)


WORKERS_RUN = """
import sys, time
import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from audiosk.extraction import extract_features

class Slow(TransformerMixin, BaseEstimator):
    def fit(self, X, y=None):
        return self
    def transform(self, X):
        time.sleep(0.5)
        return np.array([[float(len(X[0]))]])
    def get_feature_names_out(self, input_features=None):
        return np.array(["length"])

extract_features(sys.argv[2:], Slow(), out=sys.argv[1], sr=8000, n_jobs=2, batch_size=1, verbose=0)
"""


@pytest.mark.slow
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_workers_end_when_a_killed_extraction_ends(tmp_path, n_jobs):
    # issue 33, defect 13: after kill -9 of an extraction its workers lived on for minutes
    psutil = pytest.importorskip("psutil")
    paths = write_tones(tmp_path / "audio", n=40)
    out = tmp_path / "t.csv"
    script = WORKERS_RUN.replace("n_jobs=2", f"n_jobs={n_jobs}")
    proc = subprocess.Popen([sys.executable, "-c", script, str(out), *paths])
    parts = Path(f"{out}.parts")
    deadline = time.time() + 120
    while time.time() < deadline and not list(parts.glob("part-*.csv")):
        time.sleep(0.05)
    workers = psutil.Process(proc.pid).children(recursive=True)
    assert workers and list(parts.glob("part-*.csv")), "no worker was running"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    _, alive = psutil.wait_procs(workers, timeout=60)  # a deadline, not a timing: 300 s before
    assert not alive, [w.cmdline()[:3] for w in alive]
