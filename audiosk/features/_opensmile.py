"""openSMILE's feature sets (eGeMAPS, ComParE, ...) as a scikit-learn transformer.

openSMILE (audEERING's ``opensmile`` package, the ``opensmile`` extra) is
imported when the step is fitted or used, never at import time.
"""

from __future__ import annotations

import warnings
from functools import lru_cache
from numbers import Integral
from typing import Any, Self

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..containers import Spectra
from ..utils._parallel import parallel_map
from ..utils._sklearn_compat import Interval, StrOptions
from ._descriptors import check_clips

__all__ = ["OpenSMILEFeatures"]

#: openSMILE's current feature sets (its deprecated v01a GeMAPS sets left out), each with the
#: shortest clip (seconds) it describes: its longest analysis frame; measured with opensmile 2.6.
MIN_SECONDS = {
    "eGeMAPSv02": 0.06,
    "GeMAPSv01b": 0.06,
    "ComParE_2016": 0.06,
    "emobase": 0.04,
    "IS09": 0.025,
    "IS10": 0.07,
    "IS11": 0.07,
    "IS12": 0.07,
    "IS13": 0.06,
}
_LEVELS = {"functionals": "func", "lld": "lld", "lld_deltas": "lld_de"}
#: The largest 16-bit sample over 32768: openSMILE reads 16-bit PCM, and 1.0 would wrap.
_FULL_SCALE = 32767 / 32768


def import_opensmile() -> Any:
    """Import the ``opensmile`` package, or say how to install it.

    Returns
    -------
    opensmile : module
        audEERING's ``opensmile`` package.

    Raises
    ------
    ImportError
        When it is not installed, naming ``pip install audiosk[opensmile]``.
    """
    try:
        import opensmile
    except ImportError as error:
        raise ImportError(
            "OpenSMILEFeatures needs the opensmile package: pip install audiosk[opensmile] "
            "(or pip install opensmile)."
        ) from error
    return opensmile


@lru_cache(maxsize=8)
def _smile(feature_set: str, feature_level: str) -> Any:
    """One ``opensmile.Smile`` per set and level: it reads its configuration once.

    Each call of a ``Smile`` starts its own openSMILE instance, so one object
    serves every thread.
    """
    opensmile = import_opensmile()
    return opensmile.Smile(
        feature_set=opensmile.FeatureSet[feature_set],
        feature_level=opensmile.FeatureLevel(_LEVELS[feature_level]),
    )


class OpenSMILEFeatures(TransformerMixin, BaseEstimator):
    """The feature sets of openSMILE: eGeMAPS, ComParE and others, per clip or per frame.

    With ``feature_level="functionals"``, one row per clip: the set's
    statistics over the clip (88 for eGeMAPSv02, 6,373 for ComParE_2016,
    1,582 for IS10, the INTERSPEECH 2010 paralinguistic set). With
    ``"lld"`` (or ``"lld_deltas"``, where the set has them), the low-level
    descriptors frame by frame (10 ms hop): spectra ``(n_lld, n_frames)``
    per clip, as the spectral steps return them. Values are openSMILE's own
    (``opensmile.Smile(feature_set, feature_level)(clip, sr)``), computed at
    the rate the clips carry: openSMILE does not resample them, and its sets
    were designed for speech at 16 kHz (at 8 kHz their bands above 4 kHz are
    empty). openSMILE reads 16-bit samples, so samples are clipped to
    [-1, 32767/32768] (it would wrap 1.0 to -1.0) and quantised.

    A clip shorter than the set's longest analysis frame (60 ms for eGeMAPS
    and ComParE, 70 ms for IS10), for which openSMILE returns nothing, is
    padded with silence at its end to that length.

    Needs the ``opensmile`` package: ``pip install audiosk[opensmile]``.

    Parameters
    ----------
    feature_set : str, default="eGeMAPSv02"
        "eGeMAPSv02", "GeMAPSv01b", "ComParE_2016", "emobase", "IS09",
        "IS10", "IS11", "IS12" or "IS13" (``opensmile.FeatureSet``'s names).
    feature_level : {"functionals", "lld", "lld_deltas"}, default="functionals"
        Statistics per clip, or low-level descriptors per frame (with their
        deltas: ComParE_2016, IS09-IS13).
    sr : int or None, default=None
        Sample rate of the waveforms; ``None`` takes the rate they carry (as
        :class:`~audiosk.io.AudioLoader` returns them), and plain arrays then
        need ``sr``.
    n_jobs : int or None, default=None
        Number of jobs run in parallel (joblib): clips, in threads (the
        values do not depend on it). ``None`` means 1 unless in a
        :func:`joblib.parallel_config` context; ``-1`` means one per core.
    verbose : int, default=0
        Progress bar over clips.

    Attributes
    ----------
    sample_rate_ : int
        Rate of the waveforms seen at fit (carried by them, or ``sr``); after
        fit, waveforms carrying another rate are refused and plain arrays are
        taken at this rate. The step also works unfitted.

    See Also
    --------
    AudioDescriptors : Statistics of MFCCs and spectral descriptors, without openSMILE.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.features import OpenSMILEFeatures
    >>> t = np.arange(16000) / 16000
    >>> clips = [0.5 * np.sin(2 * np.pi * 220 * t), 0.5 * np.sin(2 * np.pi * 330 * t[:8000])]
    >>> smile = OpenSMILEFeatures(sr=16000).fit(clips)  # doctest: +SKIP
    >>> smile.transform(clips).shape  # doctest: +SKIP
    (2, 88)
    >>> smile.get_feature_names_out()[0]  # doctest: +SKIP
    'F0semitoneFrom27.5Hz_sma3nz_amean'
    >>> lld = OpenSMILEFeatures(feature_level="lld", sr=16000).transform(clips)  # doctest: +SKIP
    >>> [x.shape for x in lld]  # doctest: +SKIP
    [(25, 96), (25, 46)]
    """

    _parameter_constraints: dict[str, Any] = {
        "feature_set": [StrOptions(set(MIN_SECONDS))],
        "feature_level": [StrOptions(set(_LEVELS))],
        "sr": [Interval(Integral, 1, None, closed="left"), None],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        feature_set: str = "eGeMAPSv02",
        feature_level: str = "functionals",
        *,
        sr: float | None = None,
        n_jobs: int | None = None,
        verbose: int = 0,
    ) -> None:
        self.feature_set = feature_set
        self.feature_level = feature_level
        self.sr = sr
        self.n_jobs = n_jobs
        self.verbose = verbose

    def fit(self, X: Any, y: Any = None) -> Self:
        """Validate the parameters and the input, and record the sample rate.

        Parameters
        ----------
        X : list of ndarray of shape (n_samples_i,) or ndarray of shape (n_clips, n_samples)
            Waveforms of any lengths.
        y : None
            Ignored.

        Returns
        -------
        self : OpenSMILEFeatures
            The step, with ``sample_rate_``.
        """
        self._validate_params()
        self._get_smile()
        check_clips(self, X, reset=True)
        return self

    def _get_smile(self) -> Any:
        try:
            return _smile(self.feature_set, self.feature_level)
        except ValueError as error:  # a set without deltas
            raise ValueError(
                f"OpenSMILEFeatures: feature_level={self.feature_level!r} is not available for "
                f"feature_set={self.feature_set!r} ({error})."
            ) from error

    def transform(self, X: Any) -> Any:
        """Extract the feature set of every clip.

        Parameters
        ----------
        X : list of ndarray of shape (n_samples_i,) or ndarray of shape (n_clips, n_samples)
            Waveforms of any lengths, at ``sample_rate_`` once fitted.

        Returns
        -------
        features : ndarray of shape (n_clips, n_features) or (n_clips, n_lld, n_frames), or Spectra
            Functionals: one row per clip. Low-level descriptors: a 3-D
            array when every clip gives the same number of frames, otherwise
            a :class:`~audiosk.containers.Spectra` list of ``(n_lld,
            n_frames_i)`` arrays carrying the sample rate. float32.
        """
        self._validate_params()
        smile = self._get_smile()
        X, sr = check_clips(self, X, reset=False)
        shortest = int(np.ceil(MIN_SECONDS[self.feature_set] * sr))

        def extract(clip: np.ndarray) -> np.ndarray:
            clip = np.clip(clip, -1.0, _FULL_SCALE).astype(np.float32)
            if len(clip) < shortest:
                clip = np.pad(clip, (0, shortest - len(clip)))
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", "Segment too short")  # checked below
                values = np.asarray(smile(clip, sr)[0], dtype=np.float32)
            return values  # (n_features, n_frames)

        out = parallel_map(
            extract, list(X), n_jobs=self.n_jobs, verbose=self.verbose, desc="openSMILE"
        )
        empty = [i for i, v in enumerate(out) if np.isnan(v).all()]
        if empty:
            raise ValueError(
                f"OpenSMILEFeatures: openSMILE returned no {self.feature_set} features for "
                f"clip {empty[0]} ({len(X[empty[0]])} samples at {sr} Hz)."
            )
        if self.feature_level == "functionals":
            if not out:
                return np.empty((0, smile.num_features), np.float32)
            return np.stack([v[:, 0] for v in out])
        if out and len({v.shape for v in out}) == 1:
            return np.stack(out)
        return Spectra(out, sr=sr)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Get openSMILE's names of the features.

        Parameters
        ----------
        input_features : None
            Ignored.

        Returns
        -------
        names : ndarray of str of shape (n_features,)
            The functionals' names (the table's columns), or for the
            low-level levels the descriptors' names (the rows of each clip's
            spectrum).
        """
        check_is_fitted(self, "sample_rate_")
        return np.asarray(self._get_smile().feature_names, dtype=object)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.requires_fit = False  # nothing is learned: the features of each clip are its own
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags
