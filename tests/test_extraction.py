"""extract_features: failures, order, segments, resuming only what the same settings computed."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from sklearn.base import BaseEstimator, TransformerMixin

from audiosk._jobs import read_table
from audiosk.cli import main
from audiosk.extraction import extract_features
from audiosk.features import GTZANFeatures
from audiosk.features._gtzan import GTZAN_COLUMNS
from audiosk.io import load_audio
from audiosk.utils import Waveforms

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
    with pytest.raises(ValueError, match="segment_seconds"):
        run(paths, out, segment_seconds=0.25)
    # a killed run's parts are checked the same way
    parts = tmp_path / "other.csv.parts"
    parts.mkdir()
    (parts / "settings.json").write_text(json.dumps({"sr": {"hash": "0", "shown": "1.0"}}))
    with pytest.raises(ValueError, match="sr: 1.0 then, 8000.0 now"):
        run(paths, tmp_path / "other.csv")


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
        ({"segment_seconds": -1}, "segment_seconds must be None or a positive"),
        ({"sr": 0}, "sr must be a positive"),
        ({"batch_size": 0}, "batch_size must be an integer >= 1"),
        ({"hop_seconds": 0.5}, "hop_seconds needs segment_seconds"),
        ({"extractor": "chroma"}, "Unknown extractor 'chroma'"),
    ],
)
def test_parameters_are_checked_before_any_file_is_read(tmp_path, kwargs, match):
    params = {"extractor": "mfcc", "sr": SR, **kwargs}
    with pytest.raises(ValueError, match=match):
        extract_features(["missing.wav"], out=tmp_path / "t.csv", verbose=0, **params)
    assert not (tmp_path / "t.csv.parts").exists()


def test_the_record_sits_beside_the_table(tmp_path):
    paths = write_tones(tmp_path / "audio", n=2)
    run(paths, tmp_path / "table.parquet")
    record = json.loads((tmp_path / "table.parquet.job.json").read_text())
    assert record["settings"]["extractor"]["shown"] == "'mfcc'"
    assert [row[0] for row in record["rows"]] == paths
    assert len(read_table(tmp_path / "table.parquet")) == 2


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


def test_segment_mode_keeps_the_source_as_group(tmp_path):
    paths = write_files(tmp_path / "audio", n=2, seconds=3.2)
    table = extract_features(
        paths, "mfcc", out=tmp_path / "seg.parquet", segment_seconds=1.0, verbose=0
    )
    assert table.groupby("path")["segment"].apply(list).tolist() == [[0, 1, 2], [0, 1, 2]]
    y = load_audio(paths[1], sr=GTZAN_SR)[0][GTZAN_SR : 2 * GTZAN_SR]
    from audiosk.extraction import _named_extractor

    expected = _named_extractor("mfcc", GTZAN_SR).fit_transform(Waveforms([y], sr=GTZAN_SR))[0]
    np.testing.assert_allclose(table.iloc[4, 2:].to_numpy(dtype=float), expected, rtol=1e-6)
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
