"""The standard panel of classical models, with a front end that fits the input."""

from __future__ import annotations

import importlib.util
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
from ..features import AudioDescriptors, OpenSMILEFeatures, TemporalStats
from ..features._opensmile import import_opensmile
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


#: The models that read distances or gradients, and so get standardised features.
_SCALED = {"logistic regression", "ridge", "SVC", "SVR", "k-NN", "MLPClassifier", "MLPRegressor"}
#: The openSMILE set of the panel's openSMILE row (chosen by measurement: bench_defaults.py).
OPENSMILE_SET = "ComParE_2016"


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
    """Choose the steps that turn the input into a table (none for a table)."""
    if kind == "table":
        return [], "table"
    if kind == "spectra":
        return [TemporalStats(stats=("mean", "std"))], "spectrum statistics"
    # statistics of each clip's own frames, of any length: nothing padded
    steps = [AudioDescriptors(sr=sr)]
    if kind == "paths":
        steps.insert(0, AudioLoader(sr=sr))
    return steps, "descriptors"


def _opensmile_row(kind: str, sr, classifier: bool, opensmile) -> dict:
    """Build the openSMILE row when it is asked for and possible (none otherwise)."""
    audio = kind in ("paths", "waveforms")
    if opensmile is True and not audio:
        raise ValueError(
            f"classical_baselines(opensmile=True) needs audio (file paths or waveforms); X is {kind}."
        )
    if opensmile is False or not audio:
        return {}
    if opensmile == "auto" and importlib.util.find_spec("opensmile") is None:
        return {}
    import_opensmile()  # with opensmile=True and the package missing: says how to install it
    steps = [OpenSMILEFeatures(OPENSMILE_SET, sr=sr)]
    if kind == "paths":
        steps.insert(0, AudioLoader(sr=sr))
    model = SVC() if classifier else SVR()
    name = f"{type(model).__name__} (openSMILE {OPENSMILE_SET})"
    return {name: make_pipeline(*steps, StandardScaler(), model)}


def classical_baselines(
    X,
    *,
    classifier: bool = True,
    sr: float | None = None,
    random_state: int | None = 0,
    opensmile: bool | str = "auto",
) -> dict:
    """Build the standard panel of classical models for data like ``X``.

    Each model gets a front end fitted to the input. Waveforms and file
    paths become the descriptor panel (:class:`~audiosk.features.AudioDescriptors`:
    mean, standard deviation, extremes, skewness and kurtosis over each
    clip's own frames of 20 MFCCs with their deltas and delta-deltas,
    spectral centroid, bandwidth, contrast, flatness and roll-off,
    zero-crossing rate, RMS and chroma, 32 ms windows), so clips of any
    lengths need no padding; spectra become the mean and standard deviation
    of each bin over time; a table is used as it is. Logistic regression (ridge), SVC (SVR), k-NN and the
    MLP read standardised features (a ``StandardScaler`` first); the trees
    read them as they are. The models keep scikit-learn's defaults
    (iterations raised to 1,000 where the default does not converge).

    With the ``opensmile`` package installed (``pip install
    audiosk[opensmile]``), audio also gets an openSMILE row: SVC (SVR) on the
    standardised ComParE_2016 functionals
    (:class:`~audiosk.features.OpenSMILEFeatures`, 6,373 per clip, the set of
    the INTERSPEECH computational paralinguistics challenges). It beat the
    88 eGeMAPSv02 functionals on every dataset measured, speech, music and
    sounds alike (``benchmarks/bench_defaults.py``), and no rule read from
    the data tells speech apart reliably, so it is added to every audio
    panel; pass ``opensmile=False`` to leave it out.

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
    opensmile : bool or "auto", default="auto"
        Add the openSMILE row for audio: "auto" when the ``opensmile``
        package is installed, ``True`` always (an error when it is missing
        or ``X`` is not audio), ``False`` never.

    Returns
    -------
    baselines : dict of str to Pipeline
        Name (model and features, such as ``"SVC (descriptors)"``) -> unfitted pipeline.

    See Also
    --------
    audiosk.model_selection.compare : Cross-validates estimators beside this panel.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.model_selection import classical_baselines
    >>> panel = classical_baselines(np.zeros((10, 4)))
    >>> list(panel)[:2]
    ['logistic regression (table)', 'random forest (table)']
    >>> panel = classical_baselines(["a.wav", "b.wav"], sr=16000, opensmile=False)
    >>> [type(step).__name__ for step in panel["SVC (descriptors)"]]
    ['AudioLoader', 'AudioDescriptors', 'StandardScaler', 'SVC']
    """
    if opensmile not in (True, False, "auto"):
        raise ValueError(f'opensmile must be True, False or "auto"; got {opensmile!r}.')
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
                f"The classical baselines describe {kind} by their audio descriptors and need "
                "their sample rate: pass sr= (the rate to load the files at, or the waveforms' "
                "rate)."
            )
        if not (isinstance(sr, numbers.Real) and sr > 0):
            raise ValueError(f"sr must be a positive number of Hz; got {sr!r}.")
    steps, features = _front(kind, sr)
    panel = {
        f"{name} ({features})": make_pipeline(
            *steps, *([StandardScaler()] if name in _SCALED else []), model
        )
        for name, model in _models(classifier, random_state).items()
    }
    return {**panel, **_opensmile_row(kind, sr, classifier, opensmile)}
