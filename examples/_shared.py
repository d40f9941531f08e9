"""Helpers of the example scripts: where the real data is, where plots go, quick runs.

With ``AUDIOSK_EXAMPLE_QUICK=1`` a script runs end to end in seconds, as the
test suite runs it: :func:`require` hands it a small stand-in laid out like
the real dataset (the embedded spoken digits for FSDD, generated clips for
EmoDB, a generated table under real GTZAN names), and :func:`quick` shrinks
epochs and iterations. The figures it prints then say nothing about the
models; they show that the code runs.
"""

import os
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("AUDIOSK_EXAMPLE_DATA", ROOT.parent / "shared" / "data"))
OUT = Path(os.environ.get("AUDIOSK_EXAMPLE_OUT", ROOT / "examples" / "out"))
QUICK = os.environ.get("AUDIOSK_EXAMPLE_QUICK") == "1"


def quick(full, small):
    """``full``, or ``small`` in a quick run (``AUDIOSK_EXAMPLE_QUICK=1``)."""
    return small if QUICK else full


def require(relative: str) -> Path:
    """The data folder or file, or exit with a message when it is absent.

    In a quick run, a stand-in laid out like the real data.
    """
    if QUICK:
        return _stand_in(relative)
    path = DATA / relative
    if not path.exists():
        print(
            f"Skipping: {path} not found. Set AUDIOSK_EXAMPLE_DATA to the folder that holds "
            f"'{relative}' (the repository's ../shared/data has it)."
        )
        sys.exit(0)
    return path


def output_dir(name: str) -> Path:
    """<AUDIOSK_EXAMPLE_OUT or examples/out>/<name>, created."""
    out = OUT / name
    out.mkdir(parents=True, exist_ok=True)
    return out


def save(fig_or_ax, path: Path) -> None:
    """Save a figure (or the figure of an axes) as PNG and close it."""
    import matplotlib.pyplot as plt

    fig = getattr(fig_or_ax, "figure", fig_or_ax)
    if hasattr(fig_or_ax, "__len__") and not hasattr(fig_or_ax, "figure"):
        fig = fig_or_ax.ravel()[0].figure
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    print(f"  saved {shown}")


# --- stand-ins for quick runs ------------------------------------------------


def _stand_in(relative: str) -> Path:
    root = Path(tempfile.mkdtemp(prefix="audiosk_example_"))
    dataset = relative.split("/")[0]
    makers = {"fsdd": _fsdd, "emodb": _emodb, "gtzan": _gtzan}
    if dataset not in makers:
        raise ValueError(f"No quick stand-in for '{relative}'; choose among {sorted(makers)}.")
    makers[dataset](root / dataset)
    print(f"Quick run: a small stand-in for {relative} in {root} (the figures mean nothing).")
    return root / relative


def _fsdd(folder: Path) -> None:
    """Takes 0, 5, 10 and 20 of the embedded digits (6 speakers, 240 clips), in FSDD's layout."""
    import shutil

    import pandas as pd

    from audiosk.datasets import load_spoken_digits

    (folder / "recordings").mkdir(parents=True)
    rows = []
    for path in load_spoken_digits().filenames:
        digit, speaker, take = Path(path).stem.split("_")
        if int(take) in (0, 5, 10, 20):
            name = f"recordings/{Path(path).name}"
            shutil.copyfile(path, folder / name)
            rows.append((name, int(digit), speaker, int(take)))
    pd.DataFrame(rows, columns=["filename", "digit", "speaker", "take"]).to_csv(
        folder / "metadata.csv", index=False
    )


EMOTIONS = ("anger", "boredom", "disgust", "fear", "happiness", "neutral", "sadness")


def _emodb(folder: Path, sr: int = 16000) -> None:
    """Generated 1 s 'utterances': 5 speakers x 7 emotions x 2, EmoDB's table columns."""
    import pandas as pd
    import soundfile as sf

    rng = np.random.default_rng(0)
    (folder / "wav").mkdir(parents=True)
    valence = {"anger": -1, "disgust": -1, "fear": -1, "sadness": -1, "happiness": 1}
    t = np.arange(sr) / sr
    rows = []
    for speaker in ("03", "08", "09", "10", "11"):
        voice = rng.uniform(100, 220)
        for e, emotion in enumerate(EMOTIONS):
            for take in range(2):
                f0 = voice * (1 + 0.15 * e) * (1 + 0.05 * np.sin(2 * np.pi * (2 + e) * t))
                phase = 2 * np.pi * np.cumsum(f0) / sr
                clip = sum(np.sin(k * phase) / k for k in range(1, 6))
                clip = 0.3 * clip / np.abs(clip).max() + 0.01 * rng.normal(size=sr)
                name = f"wav/{speaker}a0{take}{emotion[0].upper()}{e}.wav"
                sf.write(folder / name, clip.astype(np.float32), sr)
                recognised = rng.uniform(60, 100)
                rows.append((name, speaker, emotion, recognised, valence.get(emotion, 0)))
    columns = ["filename", "speaker", "emotion", "recognition_pct", "valence_sign_derived"]
    pd.DataFrame(rows, columns=columns).to_csv(folder / "emodb_meta.csv", index=False)


def _gtzan(folder: Path) -> None:
    """features_30_sec.csv: generated features under real GTZAN names, 10 tracks a genre.

    Each genre keeps 4 of its tracks in the fault-filtered split's train part, 3
    in valid and 3 in test, so that both of the example's protocols run.
    """
    import pandas as pd

    from audiosk.datasets import gtzan_table
    from audiosk.datasets._gtzan import gtzan_split_membership
    from audiosk.features._gtzan import GTZAN_COLUMNS

    genres = ("blues", "classical", "country", "disco", "hiphop")
    genres += ("jazz", "metal", "pop", "reggae", "rock")
    names = np.array([f"{g}.{i:05d}.au" for g in genres for i in range(100)])
    membership = gtzan_split_membership(names)
    keep = []
    for genre in genres:
        for part, count in (("train", 4), ("valid", 3), ("test", 3)):
            chosen = np.flatnonzero((membership == part) & np.char.startswith(names, genre))
            keep.extend(chosen[:count])
    keep = np.sort(keep)
    rng = np.random.default_rng(0)
    labels = np.array([n.split(".")[0] for n in names[keep]])
    columns = [c for c in GTZAN_COLUMNS if c != "length"]  # 57 features
    centres = rng.normal(size=(len(genres), len(columns)))
    index = np.searchsorted(genres, labels)
    features = centres[index] + rng.normal(size=(len(keep), len(columns)))
    table = pd.DataFrame(features, columns=columns)
    table.insert(0, "length", 661794)
    table.insert(0, "filename", names[keep])
    table["label"] = labels
    folder.mkdir(parents=True)
    table.to_csv(folder / "features_30_sec.csv", index=False)
    gtzan_table(folder / "features_30_sec.csv")  # the stand-in reads as the real table does
