"""Folder, pickle and embedded datasets."""

import pickle

import numpy as np
import pytest
import soundfile as sf

from audiosk.datasets import load_audio_folder, load_pickle_folder, load_spoken_digits
from audiosk.io import AudioLoader

from ._helpers import tone


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


def test_pickle_folder_mixes_stereo_down_in_either_layout(tmp_path):
    import librosa

    rng = np.random.default_rng(0)
    stereo = rng.uniform(-1, 1, size=(2, 900)).astype(np.float32)  # librosa's layout
    pcm = (stereo.T * 32767).astype(np.int16)  # soundfile's layout, integer PCM
    (tmp_path / "a.pkl").write_bytes(pickle.dumps((stereo, 8000, 1.0)))
    (tmp_path / "b.pkl").write_bytes(pickle.dumps((pcm, 8000, 2.0)))
    data = load_pickle_folder(tmp_path, mono=True)
    np.testing.assert_allclose(data.data[0], librosa.to_mono(stereo), rtol=1e-6)
    np.testing.assert_allclose(data.data[1], librosa.to_mono(pcm.T / 32768.0), atol=1e-6)
    assert data.data[1].dtype == np.float32 and data.data[1].shape == (900,)
    with pytest.raises(ValueError, match=r"got shape \(2, 900\); pass mono=True"):
        load_pickle_folder(tmp_path, mono=False)
    (tmp_path / "c.pkl").write_bytes(pickle.dumps((np.zeros((4, 4)), 8000, 3.0)))
    with pytest.raises(ValueError, match=r"c\.pkl'.*channel axis is unknown"):
        load_pickle_folder(tmp_path)


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


# GTZAN: the fault-filtered split shipped as package data, and the leak-free protocols


def gtzan_split_file():
    import pandas as pd

    from audiosk.datasets._gtzan import SPLIT_FILE

    return pd.read_csv(SPLIT_FILE, comment="#", dtype=str)


GENRES = [
    "blues",
    "classical",
    "country",
    "disco",
    "hiphop",
    "jazz",
    "metal",
    "pop",
    "reggae",
    "rock",
]


def test_gtzan_split_file_counts_disjoint_and_gtzan_names():
    table = gtzan_split_file()
    assert list(table.columns) == ["track", "split"]
    counts = table["split"].value_counts().to_dict()
    assert counts == {"train": 443, "valid": 197, "test": 290}  # the published sizes
    assert table["track"].is_unique  # so the three lists are disjoint
    names = {f"{genre}.{i:05d}" for genre in GENRES for i in range(100)}
    assert set(table["track"]) <= names and len(names - set(table["track"])) == 70
    # per genre, as the lists give them (blues and rock keep all 100 tracks)
    per_genre = table["track"].str.split(".").str[0].value_counts().to_dict()
    assert per_genre == {
        "blues": 100, "classical": 99, "country": 98, "disco": 93, "hiphop": 92,
        "jazz": 87, "metal": 91, "pop": 84, "reggae": 86, "rock": 100,
    }  # fmt: skip


def test_gtzan_split_keeps_known_artists_on_one_side():
    # Sturm's GTZAN index: blues.00000-00011 John Lee Hooker, 00012-00028 Robert Johnson,
    # 00029-00039 Kelly Joe Phelps, 00040-00049 Stevie Ray Vaughan, 00050-00060 Magic Slim,
    # 00061-00072 Clifton Chenier, 00073-00084 Buckwheat Zydeco, 00085-00097 Hot Toddy,
    # 00098-00099 Albert Collins; classical.00011-00029 Mozart symphonies
    side = dict(zip(*gtzan_split_file().to_numpy().T, strict=True))
    runs = {
        ("blues", 0, 11): "valid",
        ("blues", 12, 28): "test",
        ("blues", 29, 39): "train",
        ("blues", 40, 49): "train",
        ("blues", 50, 60): "valid",
        ("blues", 61, 72): "test",
        ("blues", 73, 84): "train",
        ("blues", 85, 97): "train",
        ("blues", 98, 99): "test",
        ("classical", 11, 29): "test",
    }
    for (genre, first, last), expected in runs.items():
        got = {side[f"{genre}.{i:05d}"] for i in range(first, last + 1)}
        assert got == {expected}, (genre, first, last, got)


def test_gtzan_split_names_are_in_the_shared_table(shared_data):
    import pandas as pd

    table = pd.read_csv(shared_data / "gtzan" / "features_30_sec.csv")
    assert table["filename"].str.fullmatch(r"[a-z]+\.\d{5}\.au").all()
    shared = set(table["filename"].str.removesuffix(".au"))
    assert set(gtzan_split_file()["track"]) <= shared


def write_gtzan_table(path, names):
    rows = [f"{name},66149,{i}.0,{name.split('.')[0]}" for i, name in enumerate(names)]
    path.write_text("filename,length,tempo,label\n" + "\n".join(rows) + "\n")
    return path


def test_gtzan_table_split_and_groups_follow_the_rows(tmp_path):
    from audiosk.datasets import gtzan_table

    # 3 s windows in no particular order; classical.00042 is outside the split
    names = [
        "rock.00010.2.wav",
        "blues.00000.0.wav",
        "classical.00042.1.wav",
        "blues.00029.5.wav",
        "rock.00010.0.wav",
        "blues.00000.1.wav",
    ]
    table = gtzan_table(write_gtzan_table(tmp_path / "t.csv", names))
    assert table.filenames.tolist() == names
    assert table.groups.tolist() == [
        "rock.00010", "blues.00000", "classical.00042", "blues.00029", "rock.00010", "blues.00000",
    ]  # fmt: skip
    assert table.split.tolist() == ["test", "valid", "", "train", "test", "valid"]
    assert table.data["tempo"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert table.target_names[table.target].tolist() == [n.split(".")[0] for n in names]


def test_gtzan_table_refuses_names_it_cannot_place(tmp_path):
    from audiosk.datasets import gtzan_table

    path = write_gtzan_table(tmp_path / "mine.csv", ["blues.00000.au", "song1.wav"])
    with pytest.raises(ValueError, match=r"mine\.csv.*filenames\[1\] = 'song1\.wav'.*GTZAN name"):
        gtzan_table(path)


def test_gtzan_table_on_the_shared_table(shared_data):
    from audiosk.datasets import gtzan_table

    table = gtzan_table(shared_data / "gtzan" / "features_30_sec.csv")
    side = dict(zip(*gtzan_split_file().to_numpy().T, strict=True))
    assert len(table.split) == len(table.groups) == len(table.target) == 1000
    for name, group, split in zip(table.filenames, table.groups, table.split, strict=True):
        assert group == name.removesuffix(".au") and split == side.get(group, "")
    assert {s: int((table.split == s).sum()) for s in ("train", "valid", "test", "")} == {
        "train": 443,
        "valid": 197,
        "test": 290,
        "": 70,
    }


def test_gtzan_fault_filtered_split_indices():
    from audiosk.datasets import gtzan_fault_filtered_split

    # valid, test, train, outside, test (a 3 s window with a folder), valid
    names = [
        "blues.00000.au",
        "blues.00012.au",
        "blues.00029.au",
        "classical.00042.au",
        "genres/rock/rock.00010.3.wav",
        "blues.00001.au",
    ]
    [(train, test)] = gtzan_fault_filtered_split(names)
    assert train.tolist() == [0, 2, 5] and test.tolist() == [1, 4]
    [(train, test)] = gtzan_fault_filtered_split(names, held_out="valid")
    assert train.tolist() == [2] and test.tolist() == [0, 5]
    with pytest.raises(ValueError, match="held_out"):
        gtzan_fault_filtered_split(names, held_out="train")


def test_gtzan_contiguous_folds_are_runs_of_tracks_whatever_the_row_order(rng):
    from audiosk.datasets import gtzan_contiguous_folds

    # 3 genres x 6 tracks x 3 windows, rows shuffled
    names = np.array(
        [
            f"{g}.{i:05d}.{s}.wav"
            for g in ("blues", "jazz", "rock")
            for i in range(6)
            for s in range(3)
        ]
    )
    names = names[rng.permutation(len(names))]
    folds = gtzan_contiguous_folds(names, n_splits=3)
    assert len(folds) == 3
    tracks = np.array([n.rsplit(".", 2)[0] for n in names])
    held = []
    for train, test in folds:
        assert sorted(np.concatenate([train, test]).tolist()) == list(range(len(names)))
        held.append(sorted(set(tracks[test])))
    # each fold holds two neighbouring tracks of each genre, with all their windows
    for k, (first, second) in enumerate([(0, 1), (2, 3), (4, 5)]):
        assert held[k] == [
            f"{g}.{i:05d}" for g in ("blues", "jazz", "rock") for i in (first, second)
        ]
    for _, test in folds:
        assert np.isin(tracks, tracks[test]).sum() == len(test)  # no track split across folds


def test_gtzan_contiguous_folds_match_unshuffled_stratified_kfold(shared_data):
    from sklearn.model_selection import StratifiedKFold

    from audiosk.datasets import gtzan_contiguous_folds, gtzan_table

    table = gtzan_table(shared_data / "gtzan" / "features_30_sec.csv")
    ours = gtzan_contiguous_folds(table.filenames)
    theirs = StratifiedKFold(10).split(table.data, table.target)
    for (_, a), (_, b) in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(a, b)
    # fold 0 holds tracks 0-9 of each genre
    assert table.groups[ours[0][1]].tolist()[:10] == [f"blues.{i:05d}" for i in range(10)]


# Issue 33: groups that survive selection, tables the library reads back.


def test_clip_paths_selections_keep_their_groups_aligned():
    # defect 8: any slice, mask or re-order dropped the groups
    import pickle

    from sklearn.model_selection import train_test_split
    from sklearn.utils import _safe_indexing

    from audiosk.datasets import ClipPaths

    names = [f"clip{i}.wav" for i in range(6)]
    groups = np.array(["a", "b", "c", "a", "b", "c"])
    paths = ClipPaths(names, groups=groups, group_name="speaker")

    def aligned(selected):
        assert isinstance(selected, ClipPaths) and selected.group_name == "speaker"
        expected = [groups[names.index(str(n))] for n in selected]
        assert selected.groups.tolist() == expected

    order = np.array([5, 0, 3])
    mask = groups == "b"
    for selected in (
        paths[1:4],
        paths[::-1],
        paths[mask],
        paths[order],
        paths[[2, 2]],
        paths[order, ...],
        _safe_indexing(paths, order),
        _safe_indexing(paths, mask),
        np.take(paths, order),
        paths.copy(),
        pickle.loads(pickle.dumps(paths[order])),
        *train_test_split(paths, test_size=2, random_state=0),
    ):
        aligned(selected)
    assert paths[2] == "clip2.wav" and not isinstance(paths[2], ClipPaths)
    with pytest.raises(ValueError, match="2 groups for 6 paths"):
        ClipPaths(names, groups=["a", "b"])


def test_clip_paths_reordered_in_place_or_copied_keep_their_groups_aligned():
    # issue 33 red team, defect 7: np.sort sorted the names under the groups; copies lost them
    import copy

    from audiosk.datasets import ClipPaths

    names = ["b.wav", "d.wav", "a.wav", "c.wav"]
    group_of = {"a.wav": "ann", "b.wav": "bob", "c.wav": "cid", "d.wav": "dan"}
    paths = ClipPaths(names, groups=[group_of[n] for n in names], group_name="speaker")

    def aligned(selected):
        assert selected.groups.tolist() == [group_of[str(n)] for n in selected]
        assert selected.group_name == "speaker"

    in_place = paths.copy()
    in_place.sort()
    shuffled = paths.copy()
    np.random.default_rng(0).shuffle(shuffled)
    assigned = paths.copy()
    assigned[:] = assigned[::-1]
    view = paths.copy()
    head, tail = view[:2], view[2:]
    view[:] = view[[1, 0, 3, 2]]  # swaps names the views `head` and `tail` share
    for selected in (
        np.sort(paths),
        in_place,
        shuffled,
        assigned,
        head,
        tail,
        copy.copy(paths),
        copy.deepcopy(paths),
        np.sort(paths)[::-1],
    ):
        aligned(selected)
    assert np.sort(paths).tolist() == sorted(names) and shuffled.tolist() != names
    renamed = paths.copy()
    head = renamed[:2]
    renamed[0] = "e.wav"  # a name with no group: the groups go, never misaligned
    renamed.sort()  # `head` now shows names it was given no group for
    assert renamed.groups is None and head.groups is None
    twice = ClipPaths(["a.wav", "b.wav", "a.wav"], groups=["ann", "bob", "cid"])
    assert np.sort(twice).groups is None  # which "a.wav" is ann's cannot be told
    assert paths.groups.tolist() == ["bob", "dan", "ann", "cid"]  # the original untouched


def test_a_selection_of_the_digits_still_warns_of_leakage():
    # defect 8: the guide's own example slices, and the warning silently stopped
    from sklearn.model_selection import KFold

    from audiosk.model_selection import GroupLeakageWarning, group_aware_cv

    digits = load_spoken_digits()
    X, y = digits.filenames[::5], digits.target[::5]
    with pytest.warns(GroupLeakageWarning):
        group_aware_cv(KFold(3), X, y, None, classifier=True)


def test_gtzan_table_reads_the_table_the_extractor_writes(tmp_path):
    # defect 14: gtzan_table could not read `audiosk extract` output (KeyError: 'filename')
    from audiosk.datasets import gtzan_table
    from audiosk.extraction import extract_features
    from audiosk.features._gtzan import GTZAN_COLUMNS

    from ._helpers import music

    names = ["blues.00000.wav", "rock.00010.wav", "blues.00029.wav"]
    for i, name in enumerate(names):
        sf.write(str(tmp_path / name), music(1.0, seed=i), 22050)
    paths = [str(tmp_path / n) for n in names]
    for out in (tmp_path / "t.csv", tmp_path / "t.parquet"):
        extract_features(paths, "gtzan", out=out, verbose=0)
        table = gtzan_table(out)
        assert list(table.data.columns) == GTZAN_COLUMNS[1:]  # the published 57
        assert table.filenames.tolist() == paths
        assert table.target_names[table.target].tolist() == ["blues", "rock", "blues"]
        assert table.groups.tolist() == ["blues.00000", "rock.00010", "blues.00029"]
        assert table.split.tolist() == ["valid", "test", "train"]
    windows = gtzan_table(
        extract_features(
            paths,
            "gtzan",
            out=tmp_path / "w.csv",
            window_seconds=0.5,
            verbose=0,
            return_table=False,
        )
    )
    assert list(windows.data.columns) == GTZAN_COLUMNS[1:]
    assert windows.groups.tolist() == ["blues.00000"] * 2 + ["rock.00010"] * 2 + ["blues.00029"] * 2


def test_the_extractors_table_has_the_published_layout(shared_data):
    from audiosk.datasets import gtzan_table
    from audiosk.features._gtzan import GTZAN_COLUMNS

    published = gtzan_table(shared_data / "gtzan" / "features_30_sec.csv")
    assert list(published.data.columns) == GTZAN_COLUMNS[1:] and len(GTZAN_COLUMNS) == 58
    header = (shared_data / "gtzan" / "features_30_sec.csv").read_text().splitlines()[0]
    assert header.split(",") == ["filename", *GTZAN_COLUMNS, "label"]


def test_gtzan_table_names_the_columns_it_needs(tmp_path):
    from audiosk.datasets import gtzan_table

    path = tmp_path / "t.csv"
    path.write_text("name,tempo\nblues.00000.wav,1.0\n")
    with pytest.raises(ValueError, match=r"t\.csv: a GTZAN table names its files in a 'filename'"):
        gtzan_table(path)
