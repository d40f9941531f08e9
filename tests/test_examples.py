"""The example scripts run end to end on small stand-ins, and skip clearly without their data.

``AUDIOSK_EXAMPLE_QUICK=1`` makes ``examples/_shared.py`` hand each script a
stand-in laid out like its dataset (the embedded digits for FSDD, generated
clips for EmoDB, a generated table under real GTZAN names) and shrink the
epochs; the full runs stay in ``examples/``.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

EXAMPLES = sorted(
    p
    for p in (Path(__file__).resolve().parents[1] / "examples").glob("*.py")
    if not p.name.startswith("_")
)

#: What a quick run of each script writes: table -> rows (one per model or evaluation).
TABLES = {
    "chunked": {"chunked/results.csv": 6},
    "emodb": {
        "emodb/classification.csv": 4,
        "emodb/regression_valence_sign_derived.csv": 3,
        "emodb/regression_recognition_pct.csv": 3,
    },
    "fsdd_digits": {"fsdd/results.csv": 4, "fsdd/leave_one_speaker_out.csv": 6},
    "gtzan_table": {"gtzan/comparison_split.csv": 8, "gtzan/comparison_contiguous.csv": 8},
    "panns_transfer": {"panns/compare_cnn10.csv": 3},
    "transfer_learning": {"transfer/results.csv": 2},
}
FIGURES = {
    "emodb": ["emodb/confusion.png", "emodb/cnn_regressor_learning_curves.png"],
    "fsdd_digits": ["fsdd/confusion_upstream.png", "fsdd/learning_curves_upstream.png"],
    "gtzan_table": ["gtzan/comparison.png", "gtzan/pca_3d.png"],
    "transfer_learning": ["transfer/confusion_googlenet.png"],
}


def test_there_is_one_example_per_workflow():
    names = {p.stem for p in EXAMPLES}
    assert {"gtzan_table", "fsdd_digits", "emodb", "transfer_learning", "chunked"} <= names
    assert names == set(TABLES), "every example needs its expected outputs listed here"


def run_example(script, env, *args):
    return subprocess.run(
        [sys.executable, str(script), *args],
        env={**os.environ, "MPLBACKEND": "Agg", **env},
        capture_output=True,
        text=True,
        timeout=900,
        cwd=script.parent,
    )


@pytest.mark.slow
@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs_on_a_stand_in(script, tmp_path):
    env = {
        "AUDIOSK_EXAMPLE_QUICK": "1",
        "AUDIOSK_EXAMPLE_OUT": str(tmp_path / "out"),
        "TMPDIR": str(tmp_path),  # the stand-in data goes here too
    }
    args = []
    if script.stem == "panns_transfer":
        from .test_panns import released_checkpoint

        weights = tmp_path / "Cnn10_mAP=0.380.pth"
        released_checkpoint(weights, "cnn10")
        args = ["--weights", str(weights), "--arch", "cnn10"]
    if script.stem == "gtzan_table":
        args = ["--quick"]
    result = run_example(script, env, *args)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Quick run: a small stand-in" in result.stdout
    assert "Skipping" not in result.stdout
    for table, n_rows in TABLES[script.stem].items():
        frame = pd.read_csv(tmp_path / "out" / table, index_col=0)
        assert len(frame) == n_rows, f"{table}: {list(frame.index)}"
        for column in [c for c in frame.columns if c.startswith("accuracy")]:
            values = frame[column].dropna().to_numpy(float)
            assert values.size and np.all((values >= 0) & (values <= 1)), (table, column)
    for figure in FIGURES.get(script.stem, []):
        assert (tmp_path / "out" / figure).stat().st_size > 1000, figure


@pytest.mark.slow
@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_skips_without_data(script, tmp_path):
    result = run_example(
        script,
        {"AUDIOSK_EXAMPLE_DATA": str(tmp_path / "absent"), "AUDIOSK_EXAMPLE_QUICK": "0"},
    )
    assert result.returncode == 0, result.stderr
    assert "Skipping:" in result.stdout and "not found" in result.stdout
