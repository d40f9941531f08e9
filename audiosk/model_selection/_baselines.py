"""The standard panel of classical models, with a front end that fits the input."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, SVR

from ..containers import Spectra, sample_rate_of
from ..features import MFCC, TemporalStats
from ..io import AudioLoader

__all__ = ["classical_baselines", "input_kind"]


def input_kind(X) -> str:
    """Name what ``X`` is in audiosk's data contract.

    Parameters
    ----------
    X : array-like or sequence
        Data given to a pipeline.

    Returns
    -------
    kind : {"paths", "waveforms", "spectra", "table"}
        File paths; waveforms (a list of 1-D arrays, or a 2-D array that
        carries a sample rate); spectra or images (3-D or 4-D arrays, or a
        :class:`~audiosk.containers.Spectra` list of clips of any lengths); or a
        table (any other 2-D array).

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.model_selection._baselines import input_kind
    >>> input_kind(["a.wav"]), input_kind(np.zeros((2, 5))), input_kind(np.zeros((2, 4, 3)))
    ('paths', 'table', 'spectra')
    """
    if hasattr(X, "iloc") or hasattr(X, "columns"):
        return "table"
    first = X[0] if len(X) else None
    if isinstance(first, (str, bytes)) or hasattr(first, "__fspath__"):
        return "paths"
    if isinstance(X, np.ndarray) and X.dtype.kind in "USO" and X.ndim == 1:
        return "paths"
    if isinstance(X, Spectra) or (isinstance(X, (list, tuple)) and len(X) and np.ndim(X[0]) == 2):
        return "spectra"
    if sample_rate_of(X) is not None:
        return "waveforms"
    if not isinstance(X, np.ndarray) and all(np.ndim(x) == 1 for x in X):
        return "waveforms"
    ndim = np.ndim(X)
    if ndim >= 3:
        return "spectra"
    if ndim == 2:
        return "table"
    raise ValueError(f"Cannot tell what X is (an array of {ndim} dimensions); pass baselines=.")


def _models(classifier: bool, random_state) -> dict:
    if classifier:
        return {
            "logistic regression": LogisticRegression(max_iter=1000),
            "random forest": RandomForestClassifier(random_state=random_state),
            "gradient boosting": HistGradientBoostingClassifier(random_state=random_state),
            "SVC": SVC(),
            "k-NN": KNeighborsClassifier(),
            "MLPClassifier": MLPClassifier(max_iter=1000, random_state=random_state),
        }
    return {
        "ridge": Ridge(),
        "random forest": RandomForestRegressor(random_state=random_state),
        "gradient boosting": HistGradientBoostingRegressor(random_state=random_state),
        "SVR": SVR(),
        "k-NN": KNeighborsRegressor(),
        "MLPRegressor": MLPRegressor(max_iter=1000, random_state=random_state),
    }


def _front(kind: str, sr):
    """Choose the steps that turn the input into a table of MFCC statistics (or leave a table)."""
    if kind == "table":
        return [], "table"
    if kind == "spectra":
        return [TemporalStats(stats=("mean", "std"))], "spectrum statistics"
    # about 32 ms windows, a quarter window hop: what speech and sound features use
    n_fft = int(2 ** round(np.log2(0.032 * sr)))
    mfcc = MFCC(sr=sr, n_mfcc=20, n_fft=n_fft, hop_length=n_fft // 4)
    steps = [mfcc, TemporalStats(stats=("mean", "std"))]  # each clip whole, of any length
    if kind == "paths":
        steps.insert(0, AudioLoader(sr=sr))
    return steps, "MFCC stats"


def classical_baselines(
    X,
    *,
    classifier: bool = True,
    sr: float | None = None,
    random_state: int | None = 0,
) -> dict:
    """Build the standard panel of classical models for data like ``X``.

    Each model gets a front end fitted to the input: a table is
    standardised; spectra become the mean and standard deviation of each bin
    over time; waveforms and file paths become 20 MFCCs (32 ms windows),
    summarised by their mean and standard deviation over the whole clip.
    Clips of any lengths need no padding: each is described by its own
    frames.
    The models keep scikit-learn's defaults (iterations raised to 1,000
    where the default does not converge).

    Parameters
    ----------
    X : array-like or sequence
        The data the panel will be given: file paths, waveforms, spectra or a table.
    classifier : bool, default=True
        Classifiers (logistic regression, random forest, histogram gradient
        boosting, SVC, k-NN, ``MLPClassifier``) or the regressors of the same
        families (ridge instead of logistic regression).
    sr : float or None, default=None
        Sample rate to load file paths at; for waveforms, their rate when
        they do not carry it. Not used for tables and spectra.
    random_state : int or None, default=0
        Seed of the randomised models.

    Returns
    -------
    baselines : dict of str to Pipeline
        Name (model and features, such as ``"SVC (MFCC stats)"``) -> unfitted pipeline.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.model_selection import classical_baselines
    >>> panel = classical_baselines(np.zeros((10, 4)))
    >>> list(panel)[:2]
    ['logistic regression (table)', 'random forest (table)']
    """
    kind = input_kind(X)
    if kind in ("paths", "waveforms"):
        carried = sample_rate_of(X)
        if sr is not None and carried is not None and sr != carried:
            raise ValueError(
                f"classical_baselines: sr={sr} differs from the rate the waveforms carry "
                f"({carried} Hz). Leave sr=None to use their rate, or load them at {sr} Hz."
            )
        sr = carried if sr is None else sr
        if sr is None:
            raise ValueError(
                f"The classical baselines read {kind} as MFCC statistics and need their sample "
                "rate: pass sr= (the rate to load the files at, or the waveforms' rate)."
            )
        if not (isinstance(sr, numbers.Real) and sr > 0):
            raise ValueError(f"sr must be a positive number of Hz; got {sr!r}.")
    steps, features = _front(kind, sr)
    return {
        f"{name} ({features})": make_pipeline(*steps, StandardScaler(), model)
        for name, model in _models(classifier, random_state).items()
    }
