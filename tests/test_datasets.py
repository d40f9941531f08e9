"""Folder, pickle and embedded datasets."""

import pickle

import numpy as np
import pytest
import soundfile as sf

from audiosk.datasets import load_audio_folder, load_pickle_folder, load_spoken_digits
from audiosk.io import AudioLoader

from .conftest import tone


def make_tree(root):
    for label in ["dog", "cat"]:
        for spk in ["ann", "bob"]:
            for take in range(2):
                folder = root / label
                folder.mkdir(parents=True, exist_ok=True)
                sf.write(str(folder / f"{spk}_{take}.wav"), tone(seconds=0.1), 8000)
    (root / "dog" / "notes.txt").write_text("not audio")
    (root / ".hidden").mkdir()
    sf.write(str(root / ".hidden" / "x.wav"), tone(seconds=0.1), 8000)
    return root


def test_folder_labels_and_groups(tmp_path):
    root = make_tree(tmp_path)
    data = load_audio_folder(root, groups=r"^([a-z]+)_")
    assert len(data.filenames) == 8
    assert list(data.target_names) == ["cat", "dog"]
    assert data.target.tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
    assert data.groups.tolist() == ["ann", "ann", "bob", "bob"] * 2
    assert all(f.endswith(".wav") for f in data.filenames)
    by_regex = load_audio_folder(root, labels=r"_(\d)\.wav$")
    assert list(by_regex.target_names) == ["0", "1"]
    by_callable = load_audio_folder(root, labels=lambda p: len(p) % 2, groups="folder")
    assert by_callable.target_names is None and set(by_callable.groups) == {"cat", "dog"}
    every = load_audio_folder(root, labels=None, extensions=None)
    assert len(every.filenames) == 9 and every.target is None
    X, y = load_audio_folder(root, return_X_y=True)
    assert len(X) == len(y) == 8


def test_folder_errors_name_the_problem(tmp_path):
    root = make_tree(tmp_path)
    with pytest.raises(ValueError, match="does not match"):
        load_audio_folder(root, labels=r"^zzz(\d)")
    with pytest.raises(FileNotFoundError):
        load_audio_folder(root / "nope")
    with pytest.raises(ValueError, match="no files"):
        load_audio_folder(root, extensions=["mp3"])


def test_pickle_folder_dicts_tuples_and_resampling(tmp_path):
    rng = np.random.default_rng(0)
    clips = [rng.normal(size=800 + 10 * i).astype(np.float32) for i in range(3)]
    for i, clip in enumerate(clips[:2]):
        (tmp_path / f"s{i}_u.pkl").write_bytes(
            pickle.dumps({"audio": clip, "sr": 8000, "valence": 0.1 * i})
        )
    (tmp_path / "s2_u.pkl").write_bytes(pickle.dumps((clips[2], 8000, 0.2)))
    data = load_pickle_folder(tmp_path, target_key="valence", groups=r"^(s\d)_")
    assert data.sr == 8000 and data.data.sr == 8000
    np.testing.assert_allclose(data.target, [0.0, 0.1, 0.2])
    assert data.target_names is None and data.groups.tolist() == ["s0", "s1", "s2"]
    for got, want in zip(data.data, clips, strict=True):
        np.testing.assert_array_equal(got, want)
    resampled = load_pickle_folder(tmp_path, target_key="valence", sr=4000)
    assert resampled.sr == 4000 and len(resampled.data[0]) == 400
    with pytest.raises(KeyError, match="keys are"):
        load_pickle_folder(tmp_path, target_key="arousal")


def test_pickle_folder_string_labels(tmp_path):
    for i, label in enumerate(["happy", "sad", "happy"]):
        (tmp_path / f"{i}.pkl").write_bytes(
            pickle.dumps({"audio": np.zeros(10), "sr": 8000, "label": label})
        )
    data = load_pickle_folder(tmp_path)
    assert data.target.tolist() == [0, 1, 0] and list(data.target_names) == ["happy", "sad"]


def test_spoken_digits_embedded():
    digits = load_spoken_digits(as_frame=True)
    assert digits.filenames.shape == (600,)
    assert sorted(set(digits.groups)) == [
        "george",
        "jackson",
        "lucas",
        "nicolas",
        "theo",
        "yweweler",
    ]
    assert np.bincount(digits.target).tolist() == [60] * 10
    assert "CC BY-SA 4.0" in digits.DESCR
    waves = AudioLoader(sr=None).fit_transform(digits.filenames[:20])
    assert waves.sr == 8000 and all(0.1 < len(w) / 8000 < 2.5 for w in waves)


def test_spoken_digits_match_the_shared_originals(shared_data):
    digits = load_spoken_digits()
    for path in digits.filenames[::97]:
        name = path.rsplit("/", 1)[-1].replace(".flac", ".wav")
        ours, _ = sf.read(path, dtype="int16")
        original, _ = sf.read(str(shared_data / "fsdd" / "recordings" / name), dtype="int16")
        np.testing.assert_array_equal(ours, original)


def test_folder_follows_symlinked_class_folders(tmp_path):
    import os
    import warnings

    real = tmp_path / "elsewhere" / "dog"
    real.mkdir(parents=True)
    sf.write(str(real / "a.wav"), np.zeros(100, np.float32), 8000)
    root = tmp_path / "data"
    (root / "cat").mkdir(parents=True)
    sf.write(str(root / "cat" / "b.wav"), np.zeros(100, np.float32), 8000)
    os.symlink(real, root / "dog")
    os.symlink(root, root / "cat" / "loop")  # a link back up must not loop
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = load_audio_folder(root)
    assert data.target_names.tolist() == ["cat", "dog"] and len(data.filenames) == 2


def test_folder_reports_what_it_cannot_read(tmp_path, monkeypatch):
    import os

    for name in ("cat", "bird"):
        (tmp_path / name).mkdir()
        sf.write(str(tmp_path / name / "a.wav"), np.zeros(100, np.float32), 8000)
    scandir = os.scandir

    def refuse_bird(path="."):  # what a folder without read permission does
        if os.fspath(path).endswith("bird"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refuse_bird)
    with pytest.warns(UserWarning, match=r"could not read 1 folder.*bird.*Permission denied"):
        data = load_audio_folder(tmp_path)
    assert data.target_names.tolist() == ["cat"]
