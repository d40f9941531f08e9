"""Fetchers against archives served from this machine (no internet)."""

import hashlib
import http.server
import io
import os
import tarfile
import threading
import zipfile
from functools import partial
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audiosk.datasets import (
    fetch_esc50,
    fetch_fsdd,
    fetch_gtzan_features,
    fetch_panns_weights,
    get_data_home,
)


@pytest.fixture
def server(tmp_path):
    """An HTTP server on 127.0.0.1 serving tmp_path/served; counts requests."""
    served = tmp_path / "served"
    served.mkdir()
    requests = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            requests.append(self.path)

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(Handler, directory=str(served))
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{httpd.server_address[1]}", requests
    httpd.shutdown()


def wav_bytes(seconds=0.1, sr=8000):
    buffer = io.BytesIO()
    sf.write(buffer, np.zeros(int(seconds * sr), np.float32), sr, format="WAV")
    return buffer.getvalue()


def make_zip(path, members):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fsdd_members():
    return {
        f"free-spoken-digit-dataset-26eb9aaf/recordings/{d}_{s}_{t}.wav": wav_bytes()
        for d in (0, 1)
        for s in ("jackson", "theo")
        for t in (0, 5)
    }


def test_fetch_fsdd_downloads_once_verifies_and_caches(server, tmp_path):
    served, base, requests = server
    digest = make_zip(served / "fsdd.zip", fsdd_members())
    home = tmp_path / "cache"
    digits = fetch_fsdd(data_home=home, url=f"{base}/fsdd.zip", sha256=digest, verbose=0)
    assert len(digits.filenames) == 8 and sorted(set(digits.groups)) == ["jackson", "theo"]
    assert digits.target.tolist().count(1) == 4 and set(digits.takes) == {0, 5}
    assert all(os.path.isfile(f) for f in digits.filenames)
    again = fetch_fsdd(data_home=home, url=f"{base}/fsdd.zip", sha256=digest, verbose=0)
    assert len(requests) == 1 and list(again.filenames) == list(digits.filenames)


def test_checksum_mismatch_leaves_nothing(server, tmp_path):
    served, base, _ = server
    make_zip(served / "fsdd.zip", fsdd_members())
    home = tmp_path / "cache"
    with pytest.raises(OSError, match="Checksum mismatch"):
        fetch_fsdd(data_home=home, url=f"{base}/fsdd.zip", sha256="0" * 64, verbose=0)
    assert not list((home / "fsdd").glob("*.zip*"))


def test_first_download_records_its_digest(server, tmp_path, monkeypatch):
    served, base, _ = server
    digest = make_zip(served / "fsdd.zip", fsdd_members())
    monkeypatch.setenv("AUDIOSK_DATA", str(tmp_path / "env_home"))
    assert get_data_home() == tmp_path / "env_home"
    with pytest.warns(UserWarning, match="recorded sha256"):
        fetch_fsdd(url=f"{base}/fsdd.zip", verbose=0)
    recorded = tmp_path / "env_home" / "fsdd" / "free-spoken-digit-dataset-26eb9aaf.zip.sha256"
    assert recorded.read_text().strip() == digest
    archive = recorded.with_suffix("")
    archive.write_bytes(archive.read_bytes() + b"tampered")
    with pytest.raises(OSError, match="does not match its checksum"):
        fetch_fsdd(url=f"{base}/fsdd.zip", verbose=0)


def test_a_killed_download_does_not_count(server, tmp_path):
    served, base, requests = server
    digest = make_zip(served / "fsdd.zip", fsdd_members())
    home = tmp_path / "cache" / "fsdd"
    home.mkdir(parents=True)
    (home / "free-spoken-digit-dataset-26eb9aaf.zip.part").write_bytes(b"half a file")
    (home / "extracted.partial").mkdir()  # an interrupted extraction
    digits = fetch_fsdd(
        data_home=tmp_path / "cache", url=f"{base}/fsdd.zip", sha256=digest, verbose=0
    )
    assert len(requests) == 1 and len(digits.filenames) == 8
    assert not (home / "extracted.partial").exists()


def test_unreachable_url_says_where_to_put_the_file(tmp_path):
    with pytest.raises(OSError, match="download it by hand and pass its location as url="):
        fetch_fsdd(data_home=tmp_path, url="http://127.0.0.1:9/none.zip", verbose=0)


@pytest.mark.parametrize("evil", ["../escape.wav", "/abs/escape.wav", "a/../../escape.wav"])
def test_archives_escaping_the_folder_are_refused(server, tmp_path, evil):
    served, base, _ = server
    members = fsdd_members()
    members[evil] = b"x"
    digest = make_zip(served / "fsdd.zip", members)
    with pytest.raises(OSError, match="outside"):
        fetch_fsdd(data_home=tmp_path / "cache", url=f"{base}/fsdd.zip", sha256=digest, verbose=0)
    assert (
        not (tmp_path / "escape.wav").exists() and not (tmp_path / "cache" / "escape.wav").exists()
    )
    assert not (tmp_path / "cache" / "fsdd" / "extracted").exists()


def test_tar_links_are_refused(server, tmp_path):
    served, base, _ = server
    path = served / "fsdd.zip"  # the fetcher recognises tar archives by content
    with tarfile.open(path, "w:gz") as tf:
        link = tarfile.TarInfo("recordings/link.wav")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tf.addfile(link)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(OSError, match="is a link"):
        fetch_fsdd(data_home=tmp_path / "cache", url=f"{base}/fsdd.zip", sha256=digest, verbose=0)


def test_fetch_esc50_and_gtzan_features(server, tmp_path):
    served, base, _ = server
    meta = "filename,fold,target,category,esc10,src_file,take\n" + "".join(
        f"{i}-100-A-{t}.wav,{i},{t},{['dog', 'rain'][t]},True,100,A\n"
        for i in (1, 2)
        for t in (0, 1)
    )
    members = {"ESC-50-master/meta/esc50.csv": meta}
    members.update(
        {f"ESC-50-master/audio/{i}-100-A-{t}.wav": wav_bytes() for i in (1, 2) for t in (0, 1)}
    )
    digest = make_zip(served / "esc50.zip", members)
    sounds = fetch_esc50(data_home=tmp_path, url=f"{base}/esc50.zip", sha256=digest, verbose=0)
    assert list(sounds.target_names) == ["dog", "rain"] and sounds.groups.tolist() == [1, 1, 2, 2]
    assert all(os.path.isfile(f) for f in sounds.filenames)

    table = (
        "filename,length,tempo,label\n"
        "blues.00000.wav,661794,123.0,blues\nrock.00001.wav,661794,99.0,rock\n"
    )
    digest = make_zip(served / "gtzan.zip", {"Data/features_30_sec.csv": table})
    gtzan = fetch_gtzan_features(
        data_home=tmp_path, url=f"{base}/gtzan.zip", sha256=digest, verbose=0
    )
    assert list(gtzan.data.columns) == ["tempo"] and gtzan.target.tolist() == [0, 1]
    assert gtzan.groups.tolist() == ["blues.00000", "rock.00001"]
    with pytest.raises(OSError, match="features_3_sec.csv not found"):
        fetch_gtzan_features(
            data_home=tmp_path, url=f"{base}/gtzan.zip", sha256=digest, window_seconds=3, verbose=0
        )


@pytest.fixture
def liar(tmp_path):
    """A server on 127.0.0.1 whose answers go wrong in set ways: short bodies, web pages."""
    behaviour = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            body, declared, *content_type = behaviour[self.path]
            self.send_response(200)
            if declared is not None:  # None: no Content-Length, the body ends with the connection
                self.send_header("Content-Length", str(declared))
            if content_type:
                self.send_header("Content-Type", content_type[0])
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = True

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield behaviour, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def nothing_kept(home, name="fsdd"):
    # finding 14 of "Trust at the seams": a failed fetch left an empty cache folder
    return not (home / name).exists()


def test_a_short_download_is_never_recorded(liar, tmp_path):
    behaviour, base = liar
    archive = tmp_path / "fsdd.zip"
    make_zip(archive, fsdd_members())
    data = archive.read_bytes()
    behaviour["/short.zip"] = (data[: len(data) // 2], len(data))
    with pytest.raises(OSError, match=rf"stopped after {len(data) // 2} of {len(data)} bytes"):
        fetch_fsdd(data_home=tmp_path / "cache", url=f"{base}/short.zip", verbose=0)
    assert nothing_kept(tmp_path / "cache")


def test_a_web_page_is_not_an_archive(liar, tmp_path):
    behaviour, base = liar
    page = b"<!DOCTYPE html><html><body>Please sign in</body></html>"
    behaviour["/login"] = (page, len(page))
    with pytest.raises(OSError, match="sent a web page .*, not the file"):
        fetch_fsdd(data_home=tmp_path / "cache", url=f"{base}/login", verbose=0)
    assert nothing_kept(tmp_path / "cache")


def test_an_archive_that_does_not_extract_is_not_recorded(server, tmp_path):
    served, base, _ = server
    make_zip(served / "fsdd.zip", fsdd_members())
    data = (served / "fsdd.zip").read_bytes()
    (served / "cut.zip").write_bytes(data[:-200])  # the central directory is cut off
    with pytest.raises(OSError, match="does not extract completely"):
        fetch_fsdd(data_home=tmp_path / "cache", url=f"{base}/cut.zip", verbose=0)
    assert nothing_kept(tmp_path / "cache")
    # an explicit sha256 is recorded once the fetch succeeds
    digest = hashlib.sha256(data).hexdigest()
    fetch_fsdd(data_home=tmp_path / "cache", url=f"{base}/fsdd.zip", sha256=digest, verbose=0)
    recorded = tmp_path / "cache" / "fsdd" / "free-spoken-digit-dataset-26eb9aaf.zip.sha256"
    assert recorded.read_text().strip() == digest


def test_archive_bombs_are_refused(server, tmp_path, monkeypatch):
    from audiosk.datasets import _archive as _fetch

    served, base, _ = server
    with zipfile.ZipFile(served / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("free-spoken-digit-dataset-26eb9aaf/zeros.bin", bytes(8 * 2**20))
    monkeypatch.setattr(_fetch, "MAX_EXTRACTED_BYTES", 2**20)
    with pytest.raises(OSError, match=r"would unpack to 8,388,608 bytes"):
        fetch_fsdd(data_home=tmp_path / "cache", url=f"{base}/bomb.zip", verbose=0)
    assert nothing_kept(tmp_path / "cache")
    monkeypatch.setattr(_fetch, "MAX_EXTRACTED_BYTES", 2**40)
    monkeypatch.setattr(_fetch, "MAX_COMPRESSION_RATIO", 2)
    with zipfile.ZipFile(served / "bomb2.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a/zeros.bin", bytes(80 * 2**20))
    with pytest.raises(OSError, match=r"times its size"):
        fetch_fsdd(data_home=tmp_path / "cache", url=f"{base}/bomb2.zip", verbose=0)


def test_esc50_file_names_stay_inside_the_folder(server, tmp_path):
    served, base, _ = server
    meta = "filename,fold,target,category,esc10,src_file,take\n../../etc/passwd,1,0,dog,True,1,A\n"
    make_zip(served / "esc50.zip", {"ESC-50-master/meta/esc50.csv": meta})
    with (
        pytest.warns(UserWarning, match="recorded sha256"),
        pytest.raises(OSError, match="would be extracted outside"),
    ):
        fetch_esc50(data_home=tmp_path, url=f"{base}/esc50.zip", verbose=0)


def test_two_fetches_into_one_folder_take_turns(server, tmp_path):
    served, base, requests = server
    digest = make_zip(served / "fsdd.zip", fsdd_members())
    results, errors = [], []

    def fetch():
        try:
            results.append(
                fetch_fsdd(
                    data_home=tmp_path / "cache",
                    url=f"{base}/fsdd.zip",
                    sha256=digest,
                    verbose=0,
                )
            )
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=fetch) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 3 and len(requests) == 1
    assert all(list(r.filenames) == list(results[0].filenames) for r in results)


def test_fetch_panns_weights_keeps_the_file_and_records_its_digest(server, tmp_path):
    import torch

    served, base, requests = server
    checkpoint(served / "cnn10.pth")
    digest = hashlib.sha256((served / "cnn10.pth").read_bytes()).hexdigest()
    home = tmp_path / "cache"
    # the file is no release: its digest is given, as for a mirror of another build
    path = fetch_panns_weights(
        "cnn10", data_home=home, url=f"{base}/cnn10.pth", sha256=digest, verbose=0
    )
    assert path == home / "panns_cnn10" / "Cnn10_mAP=0.380.pth"
    assert path.with_name(path.name + ".sha256").read_text().strip() == digest
    state = torch.load(path, weights_only=True)["model"]
    assert torch.equal(state["fc1.bias"], torch.full((512,), 0.5))
    assert fetch_panns_weights("cnn10", data_home=home, verbose=0) == path
    assert len(requests) == 1  # the second call used the cache
    path.write_bytes(path.read_bytes() + b"x")
    with pytest.raises(OSError, match="does not match its checksum"):
        fetch_panns_weights("cnn10", data_home=home, verbose=0)
    with pytest.raises(ValueError, match=r"'arch' parameter of fetch_panns_weights must be a str"):
        fetch_panns_weights("mobilenet", data_home=home)


def checkpoint(path, arch="cnn10", **changes):
    """A checkpoint in the released layout (random weights), with ``changes`` to its entries."""
    import torch

    from audiosk.nets import PANNs

    state = PANNs(arch=arch).state_dict()
    state["fc1.bias"] = torch.full((512,), 0.5)
    state.update(changes)
    torch.save({"model": state}, path)
    return path


def test_panns_downloads_are_checked_against_the_md5_zenodo_publishes(server, tmp_path):
    served, base, _ = server
    checkpoint(served / "cnn10.pth")
    with pytest.raises(OSError, match="got md5 .*, the publisher gives bfb1f1f9968938fa"):
        fetch_panns_weights(
            "cnn10", data_home=tmp_path / "cache", url=f"{base}/cnn10.pth", verbose=0
        )
    assert nothing_kept(tmp_path / "cache", "panns_cnn10")


@pytest.mark.parametrize(
    ("body", "content_type", "match"),
    [
        (b"\xef\xbb\xbf<!DOCTYPE html><html><body>Sign in</body></html>", "", "a web page"),
        (b"<!-- a comment --><html><body>Sign in</body></html>", "", "a web page"),
        (b"\n  <HTML><body>busy</body></HTML>", "application/octet-stream", "a web page"),
        (b"Service unavailable", "text/html; charset=utf-8", "a web page"),
        (b'{"status": 404, "message": "PID does not exist."}', "", "a JSON document"),
        (b'[{"error": "quota"}]', "application/octet-stream", "a JSON document"),
    ],
)
def test_web_pages_and_json_bodies_are_not_weights(liar, tmp_path, body, content_type, match):
    # finding 9: a page starting with a BOM or <!--, or a JSON body, was kept and recorded
    behaviour, base = liar
    behaviour["/w"] = (body, None, content_type) if content_type else (body, None)
    with pytest.raises(OSError, match=match):
        fetch_panns_weights(
            "cnn10", data_home=tmp_path / "cache", url=f"{base}/w", sha256="0" * 64, verbose=0
        )
    assert nothing_kept(tmp_path / "cache", "panns_cnn10")


def test_weights_cut_short_without_content_length_are_refused(liar, tmp_path):
    # finding 9: a truncated download without Content-Length was kept and its digest recorded
    behaviour, base = liar
    data = checkpoint(tmp_path / "cnn10.pth").read_bytes()
    cut = data[: len(data) // 2]
    behaviour["/cut"] = (cut, None)
    with pytest.raises(OSError, match="is refused: .*not a checkpoint torch can load safely"):
        fetch_panns_weights(
            "cnn10",
            data_home=tmp_path / "cache",
            url=f"{base}/cut",
            sha256=hashlib.sha256(cut).hexdigest(),
            verbose=0,
        )
    assert nothing_kept(tmp_path / "cache", "panns_cnn10")


@pytest.mark.slow
def test_weights_with_nan_or_of_another_front_end_are_never_recorded(server, tmp_path):
    import torch

    from audiosk.nets import PANNs

    served, base, _ = server
    bad = {
        "nan": {"fc1.weight": torch.full((512, 512), float("nan"))},
        "16k_stft": {"spectrogram_extractor.stft.conv_real.weight": torch.zeros(257, 1, 512)},
        "other_model": {"fc2.weight": torch.zeros(3, 3)},
    }
    for name, changes in bad.items():
        path = checkpoint(served / f"{name}.pth", **changes)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        with pytest.raises(OSError, match="is refused"):
            fetch_panns_weights(
                "cnn10",
                data_home=tmp_path / "cache",
                url=f"{base}/{name}.pth",
                sha256=digest,
                verbose=0,
            )
        assert nothing_kept(tmp_path / "cache", "panns_cnn10")
    # the same verification guards PANNs.load_pretrained
    with pytest.raises(ValueError, match=r"NaN or infinite values in \['fc1.weight'\]"):
        PANNs(arch="cnn10", weights=served / "nan.pth")
    with pytest.raises(ValueError, match=r"another front end.*\(257, 1, 512\).*not the 16 kHz"):
        PANNs(arch="cnn10", weights=served / "16k_stft.pth")


def test_remotes_name_immutable_versions():
    from audiosk.datasets._fetch import _REMOTES

    for name, remote in _REMOTES.items():
        assert "master" not in remote.url and "/main." not in remote.url, name
    assert "datasetVersionNumber=" in _REMOTES["gtzan_features"].url
    assert _REMOTES["panns_cnn14"].md5 and _REMOTES["panns_cnn10"].md5


# Issue 33, defect 18: a cached fetch reads no unchanged bytes, yet checks what callers read.


@pytest.fixture
def counted_hashes(monkeypatch):
    """The files whose bytes the fetchers hash during the test."""
    from audiosk.datasets import _archive, _fetch
    from audiosk.utils._hashing import hash_file

    hashed = []

    def counting(path, *args, **kwargs):
        hashed.append(os.path.basename(path))
        return hash_file(path, *args, **kwargs)

    monkeypatch.setattr(_fetch, "hash_file", counting)
    monkeypatch.setattr(_archive, "hash_file", counting)
    return hashed


def rewrite_keeping_size_and_time(path, data):
    info = os.stat(path)
    assert len(data) == info.st_size
    with open(path, "wb") as fh:
        fh.write(data)
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))


def test_a_cached_fetch_hashes_nothing_unchanged_and_restores_the_folder(
    server, tmp_path, counted_hashes
):
    from audiosk.utils._base import AudioskWarning

    served, base, requests = server
    digest = make_zip(served / "fsdd.zip", fsdd_members())
    home = tmp_path / "cache"

    def fetch():
        return fetch_fsdd(data_home=home, url=f"{base}/fsdd.zip", sha256=digest, verbose=0)

    digits = fetch()
    counted_hashes.clear()
    assert list(fetch().filenames) == list(digits.filenames) and counted_hashes == []
    first = digits.filenames[0]
    original = Path(first).read_bytes()
    rewrite_keeping_size_and_time(first, bytes(len(original)))
    with pytest.warns(
        AudioskWarning, match=r"differs from the archive .*recordings/0_jackson_0.wav' changed"
    ):
        assert list(fetch().filenames) == list(digits.filenames)
    assert Path(first).read_bytes() == original
    os.unlink(digits.filenames[3])
    with pytest.warns(AudioskWarning, match=r"is missing\); extracting it again"):
        assert os.path.isfile(fetch().filenames[3])
    extra = os.path.join(os.path.dirname(first), "9_intruder_0.wav")
    Path(extra).write_bytes(wav_bytes())
    with pytest.warns(AudioskWarning, match="9_intruder_0.wav' was added"):
        assert list(fetch().filenames) == list(digits.filenames) and not os.path.exists(extra)
    archive = home / "fsdd" / "free-spoken-digit-dataset-26eb9aaf.zip"
    counted_hashes.clear()
    os.utime(archive)  # a new time, the same bytes: hashed once, then trusted again
    fetch()
    fetch()
    assert counted_hashes == [archive.name]
    rewrite_keeping_size_and_time(archive, bytes(archive.stat().st_size))
    with pytest.raises(OSError, match="does not match its checksum"):
        fetch()
    assert len(requests) == 1


def test_fetched_files_have_the_modes_a_plain_write_gives(server, tmp_path):
    import stat

    served, base, _ = server
    digest = make_zip(served / "fsdd.zip", fsdd_members())
    old = os.umask(0o027)
    try:
        digits = fetch_fsdd(data_home=tmp_path, url=f"{base}/fsdd.zip", sha256=digest, verbose=0)
    finally:
        os.umask(old)
    home = tmp_path / "fsdd"
    for path in (
        home / "free-spoken-digit-dataset-26eb9aaf.zip.sha256",
        home / "fetch.json",
        digits.filenames[0],
    ):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o640, path


def test_the_data_home_is_resolved_by_one_rule(tmp_path, monkeypatch, server):
    served, base, _ = server
    digest = make_zip(served / "fsdd.zip", fsdd_members())
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("AUDIOSK_DATA", raising=False)
    assert get_data_home() == tmp_path / "home" / "audiosk_data"
    monkeypatch.setenv("AUDIOSK_DATA", "~/elsewhere")
    assert get_data_home() == tmp_path / "home" / "elsewhere"
    digits = fetch_fsdd(data_home="~/third", url=f"{base}/fsdd.zip", sha256=digest, verbose=0)
    assert digits.filenames[0].startswith(str(tmp_path / "home" / "third" / "fsdd"))
