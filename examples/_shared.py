"""Helpers of the example scripts: where the real data is, where plots go."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("AUDIOSK_EXAMPLE_DATA", ROOT.parent / "shared" / "data"))


def require(relative: str) -> Path:
    """The data folder or file, or exit with a message when it is absent."""
    path = DATA / relative
    if not path.exists():
        print(
            f"Skipping: {path} not found. Set AUDIOSK_EXAMPLE_DATA to the folder that holds "
            f"'{relative}' (the repository's ../shared/data has it)."
        )
        sys.exit(0)
    return path


def output_dir(name: str) -> Path:
    """examples/out/<name>, created."""
    out = ROOT / "examples" / "out" / name
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
    print(f"  saved {path.relative_to(ROOT)}")
