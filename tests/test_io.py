"""Audio loading: formats by content, equality with librosa, every bad input."""

import os
import pickle
import shutil
import warnings

import librosa
import numpy as np
import pytest
import soundfile as sf

from audiosk import AudioLoadError
from audiosk.io import AudioLoader, AudioLoadWarning, load_audio

from ._helpers import chirp

SR = 8000

# (format, subtype) pairs soundfile writes; every one must decode by content.
FORMATS = [
    ("WAV", "PCM_U8"),
    ("WAV", "PCM_16"),
    ("WAV", "PCM_24"),
    ("WAV", "PCM_32"),
    ("WAV", "FLOAT"),
    ("WAV", "DOUBLE"),
    ("FLAC", "PCM_16"),
    ("FLAC", "PCM_24"),
    ("OGG", "VORBIS"),
    ("AIFF", "PCM_16"),
    ("AU", "PCM_16"),
    ("AU", "FLOAT"),
]


def stereo_signal():
    left = chirp(seconds=0.5, sr=SR)
    right = 0.3 * np.cos(np.arange(len(left)) / 7.0).astype(np.float32)
    return np.stack([left, right], axis=1)


def write(path, data, fmt, subtype, sr=SR):
    sf.write(str(path), data, sr, format=fmt, subtype=subtype)
    return path


@pytest.mark.parametrize("fmt,subtype", FORMATS)
@pytest.mark.parametrize("name", ["clip.{ext}", "clip.wrong", "noextension"])
def test_formats_decode_by_content_and_equal_librosa(tmp_path, fmt, subtype, name):
    path = write(tmp_path / name.format(ext=fmt.lower()), stereo_signal(), fmt, subtype)
    # librosa needs a truthful extension only for audioread; give it a copy.
    ref_path = shutil.copy(path, tmp_path / f"ref.{fmt.lower()}")
    for kwargs in [
        dict(sr=None),
        dict(sr=SR),
        dict(sr=22050),
        dict(sr=None, mono=False),
        dict(sr=16000, offset=0.1, duration=0.2),
    ]:
        y, sr = load_audio(path, **kwargs)
        y_ref, sr_ref = librosa.load(ref_path, **kwargs)
        assert sr == sr_ref
        assert y.dtype == np.float32
        assert y.shape == y_ref.shape
        np.testing.assert_array_equal(y, y_ref)


def test_mono_mixdown_and_stereo(tmp_path):
    data = stereo_signal()
    path = write(tmp_path / "s.wav", data, "WAV", "FLOAT")
    y, _ = load_audio(path, sr=None)
    np.testing.assert_allclose(y, data.mean(axis=1), atol=1e-7)
    y2, _ = load_audio(path, sr=None, mono=False)
    assert y2.shape == (2, len(data))


def test_wav_named_flac_and_flac_named_wav(tmp_path):
    y = (chirp(sr=SR) * 32767).astype(np.int16)
    a = write(tmp_path / "really_flac.wav", y, "FLAC", "PCM_16")
    b = write(tmp_path / "really_wav.flac", y, "WAV", "PCM_16")
    ya, _ = load_audio(a, sr=None)
    yb, _ = load_audio(b, sr=None)
    np.testing.assert_array_equal(ya, yb)
    np.testing.assert_array_equal(ya, y / np.float32(32768))


def test_mp3_decodes_or_says_what_to_install(tmp_path):
    path = tmp_path / "clip.mp3"
    try:
        sf.write(str(path), chirp(sr=SR), SR, format="MP3")
    except Exception:  # libsndfile built without MP3
        pytest.skip("this libsndfile cannot write MP3")
    y, sr = load_audio(path, sr=None)
    assert sr == SR and y.ndim == 1 and len(y) > 0.9 * SR
    for name in ("mp3_named.wav", "mp3_without_extension"):
        copy = shutil.copy(path, tmp_path / name)
        np.testing.assert_array_equal(load_audio(copy, sr=None)[0], y)


def test_m4a_without_decoder_names_what_to_install(tmp_path, monkeypatch):
    # An MP4 container header that libsndfile cannot read.
    path = tmp_path / "clip.m4a"
    path.write_bytes(b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00" + os.urandom(200))
    import audioread

    monkeypatch.setattr(audioread, "available_backends", lambda flush_cache=False: [])
    with pytest.raises(AudioLoadError, match="clip.m4a") as err:
        load_audio(path)
    assert "FFmpeg" in err.value.reason or "decode" in err.value.reason


def bad_files(tmp_path):
    good = write(tmp_path / "good.wav", chirp(sr=SR), "WAV", "PCM_16")
    raw = good.read_bytes()
    files = {
        "missing": tmp_path / "missing.wav",
        "directory": tmp_path / "adir.wav",
        "empty": tmp_path / "empty.wav",
        "truncated_header": tmp_path / "trunc.wav",
        "text": tmp_path / "notes.wav",
        "html": tmp_path / "page.flac",
        "random": tmp_path / "noise.ogg",
        "zero_frames": tmp_path / "zero.wav",
        "nan": tmp_path / "nan.wav",
        "inf": tmp_path / "inf.flac",
    }
    files["directory"].mkdir()
    files["empty"].write_bytes(b"")
    files["truncated_header"].write_bytes(raw[:30])
    files["text"].write_text("this is not audio\n" * 50)
    files["html"].write_text("<!doctype html><html><body>404 Not Found</body></html>")
    files["random"].write_bytes(np.random.default_rng(1).bytes(4096))
    sf.write(str(files["zero_frames"]), np.zeros(0, np.float32), SR)
    bad = chirp(sr=SR)
    bad[100] = np.nan
    sf.write(str(files["nan"]), bad, SR, subtype="FLOAT")
    bad[100] = np.inf
    sf.write(str(files["inf"]), bad, SR, format="WAV", subtype="FLOAT")
    return good, files


def test_every_bad_input_raises_audio_load_error_naming_the_file(tmp_path):
    _, files = bad_files(tmp_path)
    for case, path in files.items():
        with pytest.raises(AudioLoadError) as err:
            load_audio(path)
        assert str(path) in str(err.value), case
        assert err.value.path == str(path)
        assert err.value.reason, case


def test_audio_load_error_is_picklable_and_an_oserror():
    err = AudioLoadError("x.wav", "no such file")
    clone = pickle.loads(pickle.dumps(err))
    assert isinstance(clone, OSError)
    assert (clone.path, clone.reason, str(clone)) == (err.path, err.reason, str(err))


def test_truncated_data_warns_and_keeps_what_is_there(tmp_path):
    path = write(tmp_path / "t.wav", chirp(sr=SR), "WAV", "PCM_16")
    raw = path.read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(raw[: len(raw) // 2])
    with pytest.warns(UserWarning, match="shorter than its header"):
        y, _ = load_audio(cut, sr=None)
    assert 0 < len(y) < SR


def test_loader_returns_waveforms_with_rate_and_progress(tmp_path, capsys):
    paths = [
        write(tmp_path / f"{i}.wav", chirp(seconds=0.1 * (i + 1), sr=SR), "WAV", "PCM_16")
        for i in range(4)
    ]
    loader = AudioLoader(sr=SR, n_jobs=2, verbose=1)
    waves = loader.fit_transform([str(p) for p in paths])
    assert waves.sr == SR
    assert [len(w) for w in waves] == [800, 1600, 2400, 3200]
    for p, w in zip(paths, waves, strict=True):
        np.testing.assert_array_equal(w, load_audio(p, sr=SR)[0])
    assert "loading" in capsys.readouterr().err


def test_loader_keeps_native_rate_and_refuses_mixed_rates(tmp_path):
    a = write(tmp_path / "a.wav", chirp(sr=SR), "WAV", "PCM_16")
    b = write(tmp_path / "b.wav", chirp(sr=16000), "WAV", "PCM_16", sr=16000)
    assert AudioLoader(sr=None).fit_transform([a]).sr == SR
    with pytest.raises(ValueError, match="several rates"):
        AudioLoader(sr=None).fit_transform([a, b])


def test_loader_on_error_raise_and_silence(tmp_path):
    good, files = bad_files(tmp_path)
    paths = [good, files["text"], good, files["missing"]]
    with pytest.raises(AudioLoadError, match="notes.wav"):
        AudioLoader(sr=SR).fit_transform(paths)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        waves = AudioLoader(sr=SR, on_error="silence").fit_transform(paths)
    load_warnings = [w for w in caught if issubclass(w.category, AudioLoadWarning)]
    assert len(load_warnings) == 1
    message = str(load_warnings[0].message)
    assert str(files["text"]) in message and str(files["missing"]) in message
    assert [p for p, _ in load_warnings[0].message.failures] == [
        str(files["text"]),
        str(files["missing"]),
    ]
    assert len(waves) == 4
    assert len(waves[1]) == len(waves[0]) and not waves[1].any() and not waves[3].any()
    np.testing.assert_array_equal(waves[2], waves[0])
    waves = AudioLoader(sr=SR, duration=0.25, on_error="silence")
    with pytest.warns(AudioLoadWarning):
        out = waves.fit_transform(paths)
    assert len(out[1]) == SR // 4


def test_loader_rejects_waveforms_and_single_path():
    with pytest.raises(TypeError, match="single path"):
        AudioLoader().fit_transform("a.wav")
    with pytest.raises(TypeError, match="file paths"):
        AudioLoader().fit_transform([np.zeros(3)])


def test_loader_accepts_a_column_of_paths(tmp_path):
    path = write(tmp_path / "a.wav", chirp(sr=SR), "WAV", "PCM_16")
    waves = AudioLoader(sr=None).fit_transform(np.array([[str(path)], [str(path)]], dtype=object))
    assert len(waves) == 2


def test_a_file_longer_than_max_duration_is_refused_before_decoding(tmp_path):
    import soundfile as sf

    from audiosk.io import AudioLoader, AudioLoadError, load_audio

    path = tmp_path / "slow.wav"  # 20,000 frames at 1 Hz: 5.5 hours, 10 GB at 22,050 Hz
    sf.write(str(path), np.zeros(20000, np.int16), 1, subtype="PCM_16")
    with pytest.raises(AudioLoadError, match=r"slow\.wav.*20,000 s of audio.*max_duration=3600"):
        load_audio(path, sr=22050)
    with pytest.raises(AudioLoadError, match="max_duration=10"):
        AudioLoader(sr=None, max_duration=10).fit_transform([str(path)])
    y, sr = load_audio(path, sr=None, max_duration=None)  # no limit: the native rate is small
    assert (len(y), sr) == (20000, 1)
    y, _ = load_audio(path, sr=None, duration=100, max_duration=200)  # a part fits the limit
    assert len(y) == 100


def test_a_name_that_is_not_utf8_is_an_audio_load_error(tmp_path):
    # a Latin-1 name, as copied from an old archive: Python holds it with a surrogate
    path = os.fsdecode(os.fsencode(str(tmp_path)) + b"/caf\xe9.wav")
    with open(path, "wb") as fh:
        sf.write(fh, np.zeros(SR // 10, np.float32), SR, format="WAV")
    with pytest.raises(AudioLoadError, match="not valid UTF-8") as caught:
        load_audio(path, sr=SR)
    assert caught.value.path == path
    with pytest.warns(AudioLoadWarning):  # so on_error catches it like any unreadable file
        waves = AudioLoader(sr=SR, on_error="silence").fit_transform([path])
    assert len(waves) == 1 and not waves[0].any()
