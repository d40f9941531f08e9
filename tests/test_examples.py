"""The example scripts compile, and skip with a clear message when the real data is absent."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted(
    p
    for p in (Path(__file__).resolve().parents[1] / "examples").glob("*.py")
    if not p.name.startswith("_")
)


def test_there_is_one_example_per_workflow():
    names = {p.stem for p in EXAMPLES}
    assert {"gtzan_table", "fsdd_digits", "emodb", "transfer_learning", "chunked"} <= names


@pytest.mark.slow
@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_skips_without_data(script, tmp_path):
    env = {**os.environ, "AUDIOSK_EXAMPLE_DATA": str(tmp_path / "absent"), "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert "Skipping:" in result.stdout and "not found" in result.stdout
