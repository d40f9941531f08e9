"""write_spectrogram_images: a resumable job whose images belong to the file that drew them."""

import os
import threading

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
    with pytest.raises(ValueError, match=r"odd.png' is 10x10 pixels, .* 100x50"):
        load_image_folder(root, kind="mel")
