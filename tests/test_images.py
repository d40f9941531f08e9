"""write_spectrogram_images: a resumable job whose images belong to the file that drew them."""

import os
import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from audiosk.images import write_spectrogram_images
from audiosk.utils._lock import FileLock

from ._helpers import chirp, tone

SR = 8000
SETTINGS = dict(sr=SR, n_fft=256, hop_length=64, n_mels=32, kinds=("linear", "mel"))


def write(path, signal):
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, signal, SR)
    return path


def pixels(path):
    return np.asarray(Image.open(path))


def test_spectrogram_images_resume_and_survive_a_bad_file(tmp_path):
    files = [write(tmp_path / f"clip{i}.wav", chirp(0.5, f0=100 + 200 * i)) for i in range(2)]
    (tmp_path / "broken.wav").write_bytes(b"not audio")
    files.append(tmp_path / "broken.wav")
    out = tmp_path / "images"
    report = write_spectrogram_images(files, out, **SETTINGS)
    assert report["path"].tolist() == [str(f) for f in files for _ in range(2)]
    written = report[report["status"] == "written"]
    assert sorted(written["image"].map(lambda p: p.split("images/")[1])) == [
        "linear/clip0.png",
        "linear/clip1.png",
        "mel/clip0.png",
        "mel/clip1.png",
    ]
    failed = report[report["status"] == "failed"]
    assert len(failed) == 2 and failed["error"].str.contains("broken.wav").all()
    assert Image.open(out / "mel" / "clip0.png").size == (432, 288)
    again = write_spectrogram_images(files[:2], out, **SETTINGS)
    assert set(again["status"]) == {"kept"}
    with pytest.raises(ValueError, match=r"other settings.*step\.hop_length: 64 then, 128 now"):
        write_spectrogram_images(files[:2], out, **{**SETTINGS, "hop_length": 128})
    with pytest.raises(ValueError, match=r"stems repeat: \['clip0'\]"):
        sub = write(tmp_path / "sub" / "clip0.wav", chirp(0.5))
        write_spectrogram_images([files[0], sub], tmp_path / "x")


def test_a_changed_file_is_redrawn_even_with_its_old_time_and_size(tmp_path):
    # images are keyed by a hash of the bytes, not by modification times
    files = [write(tmp_path / f"clip{i}.wav", chirp(0.5)) for i in range(2)]
    out = tmp_path / "images"
    write_spectrogram_images(files, out, **SETTINGS)
    before = pixels(out / "mel" / "clip0.png")
    info = os.stat(files[0])
    write(files[0], tone(1500.0, 0.5))
    os.utime(files[0], ns=(info.st_atime_ns, info.st_mtime_ns))
    report = write_spectrogram_images(files, out, **SETTINGS)
    assert report.loc[report["status"] == "written", "path"].unique().tolist() == [str(files[0])]
    assert not np.array_equal(before, pixels(out / "mel" / "clip0.png"))
    fresh = write_spectrogram_images(files, tmp_path / "fresh", **SETTINGS)
    assert set(fresh["status"]) == {"written"}
    np.testing.assert_array_equal(
        pixels(out / "mel" / "clip0.png"), pixels(tmp_path / "fresh" / "mel" / "clip0.png")
    )


def test_an_image_drawn_from_another_file_with_the_same_stem_is_refused(tmp_path):
    # finding 3: train/001.wav then test/001.wav into one folder kept the training image
    train = write(tmp_path / "train" / "001.wav", chirp(0.5))
    test = write(tmp_path / "test" / "001.wav", tone(1000.0, 0.5))
    out = tmp_path / "images"
    write_spectrogram_images([train], out, **SETTINGS)
    with pytest.raises(ValueError, match=r"001.png' was drawn from '.*train/001.wav', not from"):
        write_spectrogram_images([test], out, **SETTINGS)
    assert set(write_spectrogram_images([train], out, **SETTINGS)["status"]) == {"kept"}


def test_a_second_run_into_the_same_folder_is_refused_while_the_first_runs(tmp_path):
    # finding 3: concurrent runs into one folder crashed on shared .tmp names
    files = [write(tmp_path / "clip.wav", chirp(0.5))]
    out = tmp_path / "images"
    out.mkdir()
    holding, release = threading.Event(), threading.Event()

    def first_run():
        with FileLock(out / ".lock", "test"):
            holding.set()
            release.wait(30)

    thread = threading.Thread(target=first_run)
    thread.start()
    holding.wait(30)
    try:
        with pytest.raises(RuntimeError, match="Another run .* is writing the images in"):
            write_spectrogram_images(files, out, **SETTINGS)
    finally:
        release.set()
        thread.join()
    (out / "mel").mkdir()
    stale = out / "mel" / ".clip.png.x1y2.tmp"
    stale.write_bytes(b"half a png")
    assert set(write_spectrogram_images(files, out, **SETTINGS)["status"]) == {"written"}
    assert not stale.exists()


def test_a_file_that_became_unreadable_loses_its_image_and_is_retried(tmp_path):
    path = write(tmp_path / "clip.wav", chirp(0.5))
    out = tmp_path / "images"
    write_spectrogram_images([path], out, **SETTINGS)
    data = path.read_bytes()
    path.write_bytes(b"garbage")
    report = write_spectrogram_images([path], out, **SETTINGS)
    assert set(report["status"]) == {"failed"} and not (out / "mel" / "clip.png").exists()
    path.write_bytes(data)
    assert set(write_spectrogram_images([path], out, **SETTINGS)["status"]) == {"written"}


def test_load_image_folder_reads_the_tree_the_job_writes(tmp_path):
    from audiosk.datasets import load_image_folder

    root = tmp_path / "images"
    for label, freq in (("low", 300.0), ("high", 2500.0)):
        files = [
            write(tmp_path / label / f"{label}{i}.wav", tone(freq + 50 * i, 0.5)) for i in (0, 1)
        ]
        write_spectrogram_images(files, root / label, **{**SETTINGS, "figsize": (1.0, 0.5)})
    images = load_image_folder(root, kind="mel")
    assert images.target_names.tolist() == ["high", "low"]
    assert images.target.tolist() == [0, 0, 1, 1]
    assert [p.split("images/")[1] for p in images.filenames] == [
        "high/mel/high0.png",
        "high/mel/high1.png",
        "low/mel/low0.png",
        "low/mel/low1.png",
    ]
    assert images.data.shape == (4, 3, 50, 100) and images.data.dtype == np.float32
    rgba = pixels(images.filenames[2])
    expected = (rgba[..., :3].transpose(2, 0, 1) / 255.0).astype(np.float32)
    np.testing.assert_array_equal(images.data[2], expected)
    assert "data" not in load_image_folder(root, kind="linear", load_content=False)
    with pytest.raises(ValueError, match="found no image .* pass kind="):
        load_image_folder(root)
    with pytest.raises(ValueError, match=r"laid out as <class>/nope/\*\.png\.$"):
        load_image_folder(root, kind="nope")
    Image.new("RGB", (10, 10)).save(root / "low" / "mel" / "odd.png")
    with pytest.warns(UserWarning, match=r"leaves out 1 image.*not list .*\['odd.png'\]"):
        assert len(load_image_folder(root, kind="mel").filenames) == 4  # not read
    (root / "low" / "mel" / "odd.png").unlink()
    Image.new("RGB", (10, 10)).save(root / "low" / "mel" / "low1.png")  # a recorded one
    with pytest.raises(ValueError, match=r"low1.png' is 10x10 pixels, .* 100x50"):
        load_image_folder(root, kind="mel")
    (root / "low" / "mel" / "low1.png").unlink()
    with pytest.raises(ValueError, match=r"low1.png' is recorded in .* but missing"):
        load_image_folder(root, kind="mel")


# Issue 33: image folders hold exactly what was asked, read back with their groups.


def test_a_folder_written_again_with_fewer_files_holds_exactly_those(tmp_path):
    # defect 7: the old PNGs stayed, and load_image_folder read them all without a word
    from audiosk.datasets import load_image_folder

    files = [
        write(tmp_path / "audio" / f"clip{i}.wav", chirp(0.3, f0=200 + 100 * i)) for i in range(5)
    ]
    root = tmp_path / "images"
    write_spectrogram_images(files, root / "a", **SETTINGS)
    report = write_spectrogram_images(files[3:0:-2], root / "a", **SETTINGS)  # clip3, clip1
    assert set(report["status"]) == {"kept"}
    for kind in ("linear", "mel"):
        assert sorted(p.name for p in (root / "a" / kind).glob("*.png")) == [
            "clip1.png",
            "clip3.png",
        ]
    images = load_image_folder(root, kind="mel")
    assert [os.path.basename(p) for p in images.filenames] == ["clip1.png", "clip3.png"]
    assert images.sources.tolist() == [os.path.realpath(files[1]), os.path.realpath(files[3])]


def test_the_groups_of_clip_paths_come_back_with_the_images(tmp_path):
    # defect 15: load_image_folder returned no groups
    from audiosk.datasets import ClipPaths, load_image_folder
    from audiosk.model_selection import group_aware_cv

    root = tmp_path / "images"
    for label in ("low", "high"):
        files = [
            str(write(tmp_path / label / f"{speaker}_{label}.wav", tone(300.0 + i, 0.3)))
            for i, speaker in enumerate(["ann", "bob", "cid"])
        ]
        paths = ClipPaths(files, groups=["ann", "bob", "cid"], group_name="speaker")
        write_spectrogram_images(paths[::-1], root / label, **SETTINGS)  # selected: still aligned
    images = load_image_folder(root, kind="mel", load_content=False)
    assert images.groups.tolist() == ["ann", "bob", "cid"] * 2
    assert images.filenames.groups.tolist() == images.groups.tolist()
    by_pattern = load_image_folder(root, kind="mel", groups=r"^([a-z]+)_", load_content=False)
    assert by_pattern.groups.tolist() == images.groups.tolist()
    for train, test in group_aware_cv(
        3, images.filenames, images.target, images.groups, classifier=True
    ):
        assert not set(images.groups[train]) & set(images.groups[test])
    with pytest.raises(
        ValueError, match=r"groups pattern '\^z' does not match the name of '.*ann_high"
    ):
        load_image_folder(root, kind="mel", groups="^z")


def test_the_same_file_by_a_relative_and_an_absolute_path_is_one_file(tmp_path, monkeypatch):
    # defect 10: the second run refused the file as another one with the same stem
    write(tmp_path / "audio" / "clip.wav", chirp(0.3))
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "images"
    assert set(write_spectrogram_images(["audio/clip.wav"], out, **SETTINGS)["status"]) == {
        "written"
    }
    again = write_spectrogram_images([tmp_path / "audio" / "clip.wav"], out, **SETTINGS)
    assert set(again["status"]) == {"kept"}
    os.symlink(tmp_path / "audio" / "clip.wav", tmp_path / "link.wav")
    with pytest.raises(ValueError, match="clip.png' was drawn from .*clip.wav', not from"):
        write_spectrogram_images(
            [write(tmp_path / "other" / "clip.wav", tone(900.0, 0.3))], out, **SETTINGS
        )


def test_a_file_name_that_is_not_utf8_is_a_failure_not_a_crash(tmp_path):
    # defect 9: the whole call crashed on such a name
    good = write(tmp_path / "good.wav", chirp(0.3))
    odd = os.fsdecode(os.fsencode(str(tmp_path)) + b"/caf\xe9.wav")
    with open(odd, "wb") as fh:
        sf.write(fh, chirp(0.3), SR, format="WAV")
    for _ in range(2):  # and again, once its failure is recorded
        report = write_spectrogram_images([odd, good], tmp_path / "images", **SETTINGS)
        assert report["path"].tolist() == [odd, odd, str(good), str(good)]
        failed = report[report["path"] == odd]
        assert set(failed["status"]) == {"failed"} and failed["error"].str.contains("UTF-8").all()
    assert set(report.loc[report["path"] == str(good), "status"]) == {"kept"}


def test_any_error_drawing_a_file_is_a_failure_row(tmp_path):
    # defect 16: only AudioLoadError was caught; an empty clip stopped the whole call
    empty = tmp_path / "empty.wav"
    sf.write(empty, np.zeros(0, np.float32), SR)
    files = [write(tmp_path / "a.wav", chirp(0.3)), empty, write(tmp_path / "b.wav", chirp(0.3))]
    report = write_spectrogram_images(files, tmp_path / "images", **SETTINGS, batch_size=2)
    assert report["status"].tolist() == ["written"] * 2 + ["failed"] * 2 + ["written"] * 2
    assert report.loc[2, "error"] != "" and not (tmp_path / "images" / "mel" / "empty.png").exists()


CRASHING_DRAW = """
import os, signal, sys
from audiosk.images import write_spectrogram_images
import audiosk.features

class Crash(audiosk.features.MelSpectrogram):
    def fit_transform(self, X, y=None):
        if len(X[0]) < 1000:
            os.kill(os.getpid(), signal.SIGSEGV)
        return super().fit_transform(X, y)

audiosk.features.MelSpectrogram = Crash  # the decoder of one file kills its process
report = write_spectrogram_images(sys.argv[2:], sys.argv[1], sr=8000, n_fft=256, kinds=["mel"])
print(report["status"].tolist())
print(report["error"].tolist())
"""


@pytest.mark.slow
def test_a_file_that_kills_its_worker_fails_alone_with_default_n_jobs(tmp_path):
    # defect 16: with n_jobs=None the crash killed the caller
    import subprocess
    import sys

    files = [str(write(tmp_path / f"clip{i}.wav", chirp(0.3))) for i in range(3)]
    short = str(write(tmp_path / "short.wav", chirp(0.05)))
    cmd = [
        sys.executable,
        "-c",
        CRASHING_DRAW,
        str(tmp_path / "images"),
        files[0],
        short,
        *files[1:],
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "['written', 'failed', 'written', 'written']" in result.stdout
    assert "WorkerCrash" in result.stdout


KILLED_DRAW = """
import sys
from audiosk.images import write_spectrogram_images

write_spectrogram_images(sys.argv[2:], sys.argv[1], sr=8000, n_fft=256, kinds=["mel"], batch_size=1)
"""


@pytest.mark.slow
def test_a_killed_image_job_resumes_where_it_stopped(tmp_path):
    # defect 16: the record was written at the end, so a killed run resumed nothing
    import json
    import signal
    import subprocess
    import sys
    import time

    files = [
        str(write(tmp_path / f"clip{i:02d}.wav", chirp(0.3, f0=100 + 10 * i))) for i in range(12)
    ]
    out = tmp_path / "images"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_DRAW, str(out), *files])
    record = out / "mel" / "job.json"
    deadline = time.time() + 120
    while time.time() < deadline and not (
        record.exists() and json.loads(record.read_text())["images"]
    ):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = set(json.loads(record.read_text())["images"])
    assert 1 <= len(done) < len(files), "the run was not interrupted midway"
    report = write_spectrogram_images(files, out, sr=8000, n_fft=256, kinds=["mel"])
    kept = {Path(p).stem for p in report.loc[report["status"] == "kept", "path"]}
    assert kept == done and set(report["status"]) <= {"kept", "written"}
    fresh = write_spectrogram_images(files, tmp_path / "fresh", sr=8000, n_fft=256, kinds=["mel"])
    for image in fresh["image"]:
        np.testing.assert_array_equal(pixels(out / "mel" / Path(image).name), pixels(image))


# Issue 33 red team: kills between an image and its record, names up to the 255-byte limit.


class Killed(BaseException):
    """What a kill -9 at this point would leave: nothing after it runs."""


def killed_once_drawn(monkeypatch):
    """Make the next run die, as by kill -9, once its first batch is drawn and before it is recorded."""
    from audiosk import images

    real = images.run_batches

    def run_batches(*args, **kwargs):
        for _ in real(*args, **kwargs):
            raise Killed
        yield from ()

    monkeypatch.setattr(images, "run_batches", run_batches)


def test_a_first_run_killed_before_recording_an_image_resumes(tmp_path, monkeypatch):
    # defect 2: the first batch's images lay in a folder without a record, and were refused
    files = [write(tmp_path / f"clip{i}.wav", chirp(0.3, f0=100 + 50 * i)) for i in range(3)]
    out = tmp_path / "images"
    killed_once_drawn(monkeypatch)
    with pytest.raises(Killed):
        write_spectrogram_images(files, out, **SETTINGS)
    assert (out / "mel" / "clip0.png").exists(), "the run was not killed after drawing"
    monkeypatch.undo()
    report = write_spectrogram_images(files, out, **SETTINGS)
    assert set(report["status"]) == {"written"}
    fresh = write_spectrogram_images(files, tmp_path / "fresh", **SETTINGS)
    for image, again in zip(fresh["image"], report["image"], strict=True):
        np.testing.assert_array_equal(pixels(again), pixels(image))


def test_an_image_redrawn_by_a_killed_run_is_not_kept_for_the_old_bytes(tmp_path, monkeypatch):
    # defect 3: the new image lay under the old record's entry; the old bytes back, it was kept
    path = write(tmp_path / "clip.wav", tone(300, 0.5))
    out = tmp_path / "images"
    settings = {**SETTINGS, "kinds": ("mel",)}
    write_spectrogram_images([path], out, **settings)
    low = pixels(out / "mel" / "clip.png")
    write(path, tone(2500, 0.5))
    killed_once_drawn(monkeypatch)
    with pytest.raises(Killed):
        write_spectrogram_images([path], out, **settings)
    monkeypatch.undo()
    write(path, tone(300, 0.5))  # the bytes the first run drew from
    report = write_spectrogram_images([path], out, **settings)
    assert report["status"].tolist() == ["written"]
    np.testing.assert_array_equal(pixels(out / "mel" / "clip.png"), low)


def test_a_stem_of_up_to_251_bytes_is_drawn_and_a_longer_one_refused(tmp_path):
    # defect 9: the temporary of a long image's name was past the 255-byte limit
    path = write(tmp_path / ("s" * 246 + ".wav"), chirp(0.3))
    report = write_spectrogram_images([path], tmp_path / "images", **SETTINGS)
    assert report["status"].tolist() == ["written", "written"], report["error"].tolist()
    again = write_spectrogram_images([path], tmp_path / "images", **SETTINGS)
    assert set(again["status"]) == {"kept"}
    too_long = tmp_path / ("s" * 252 + ".w")  # a valid name, whose image's name is not
    sf.write(too_long, chirp(0.3), SR, format="WAV")
    with pytest.raises(ValueError, match=r"longer than a file name may be \(255 bytes\): \['/"):
        write_spectrogram_images([path, too_long], tmp_path / "other", **SETTINGS)
