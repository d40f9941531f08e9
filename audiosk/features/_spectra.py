"""Steps on spectrograms: Deltas, TemporalStats, Flatten, SpectrogramScaler, and their checks.

They take the spectral stage of the data contract, a 3-D array
``(n_clips, n_bins, n_frames)`` (some also 4-D ``(n_clips, channels, H,
W)``), or clips of any lengths as a :class:`~audiosk.containers.Spectra` list of
``(n_bins, n_frames_i)`` arrays (all but Flatten). A 2-D array
``(n_clips, n_bins)`` is read as spectra of one frame, so a table of
per-clip features goes through them too.
"""

# Past 600 lines because four steps share one validation and base class here, and numpydoc
# docstrings with examples are half of it.

from __future__ import annotations

from collections.abc import Callable, Sequence
from numbers import Integral
from typing import Any, Self

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ..containers import Spectra
from ..utils._base import StatelessArrayMixin
from ..utils._sklearn_compat import Interval, StrOptions

__all__ = ["Deltas", "Flatten", "SpectrogramScaler", "TemporalStats"]


def check_spectra(
    estimator: Any,
    X: Any,
    *,
    reset: bool,
    allow_4d: bool = False,
    expand_2d: bool = True,
    allow_ragged: bool = False,
) -> Any:
    """Validate spectra: float32, finite, 3-D (or 4-D), 2-D read as one frame.

    Parameters
    ----------
    estimator : estimator
        The calling step; ``n_features_in_`` (the number of bins, or of
        channels for 4-D input) is set when ``reset`` and checked otherwise.
    X : array-like of shape (n_clips, n_bins), (n_clips, n_bins, n_frames) or (n_clips, C, H, W)
        Spectra.
    reset : bool
        Whether this call is a ``fit``.
    allow_4d : bool, default=False
        Accept image batches.
    expand_2d : bool, default=True
        Add a frame axis to 2-D input.
    allow_ragged : bool, default=False
        Accept a list of ``(n_bins, n_frames_i)`` spectra of different lengths.

    Returns
    -------
    X : ndarray of shape (n_clips, n_bins, n_frames) or (n_clips, C, H, W), float32, or Spectra
        A :class:`~audiosk.containers.Spectra` list of float32 ``(n_bins, n_frames_i)``
        arrays when the clips differ in length (and ``allow_ragged``).
    """
    name = type(estimator).__name__
    if isinstance(X, (list, tuple)):
        if not X:
            raise ValueError(f"{name} got no clips (an empty list).")
        if len({np.shape(x) for x in X}) > 1:
            return _check_ragged_spectra(estimator, X, reset=reset, allow_ragged=allow_ragged)
    X = validate_data(
        estimator, X, reset=reset, dtype=np.float32, allow_nd=True, ensure_min_features=1
    )
    if X.ndim == 2 and expand_2d:
        X = X[:, :, None]
    max_ndim = 4 if allow_4d else 3
    if X.ndim > max_ndim:
        raise ValueError(
            f"{type(estimator).__name__} expects spectra of shape (n_clips, n_bins, n_frames)"
            + (" or (n_clips, channels, H, W)" if allow_4d else "")
            + f"; got {X.ndim} dimensions {X.shape}."
        )
    if 0 in X.shape[1:]:
        raise ValueError(
            f"{type(estimator).__name__} got spectra of shape {X.shape}, with an empty axis "
            "(no bins or no frames): are the clips shorter than one frame? Pad them with "
            "audiosk.preprocessing.PadTrim or lower n_fft."
        )
    spectra: np.ndarray = X
    return spectra


def _check_ragged_spectra(estimator: Any, X: Any, *, reset: bool, allow_ragged: bool) -> Spectra:
    """Validate spectra of different lengths, one ``(n_bins, n_frames_i)`` array per clip."""
    name = type(estimator).__name__
    clips = [np.asarray(x) for x in X]
    for i, x in enumerate(clips):
        if x.ndim != 2:
            raise ValueError(
                f"{name} expects each clip's spectrum as (n_bins, n_frames); clip {i} has shape "
                f"{x.shape}."
            )
    bins = sorted({x.shape[0] for x in clips})
    if len(bins) > 1:
        raise ValueError(
            f"{name} needs one number of bins in every clip; got {bins[0]} to {bins[-1]}. "
            "Compute all spectra with one spectrogram step."
        )
    frames = [x.shape[1] for x in clips]
    if not allow_ragged:
        raise ValueError(
            f"{name} needs spectra of one shape; got clips of {min(frames)} to {max(frames)} "
            "frames. Summarise each clip over time with audiosk.features.TemporalStats, or "
            "give every clip one length first (audiosk.preprocessing.PadTrim before the "
            "spectrogram step)."
        )
    if 0 in frames or bins[0] == 0:
        raise ValueError(
            f"{name} got a clip with an empty axis (no bins or no frames, clip "
            f"{frames.index(0) if 0 in frames else 0}): is it shorter than one frame? Lower n_fft."
        )
    n_features = getattr(estimator, "n_features_in_", None)
    if reset:
        estimator.n_features_in_ = bins[0]
        if hasattr(estimator, "feature_names_in_"):
            del estimator.feature_names_in_
    elif n_features is not None and n_features != bins[0]:
        raise ValueError(
            f"X has {bins[0]} features, but {name} is expecting {n_features} features as input."
        )
    out = []
    for i, x in enumerate(clips):
        x = x.astype(np.float32, copy=False)
        if not np.isfinite(np.sum(x)):
            raise ValueError(f"{name}: clip {i} of X contains NaN or infinity.")
        out.append(x)
    return Spectra(out, sr=getattr(X, "sr", None))


class _SpectraTransformer(TransformerMixin, BaseEstimator):
    """Base of the steps whose input is spectra."""

    def fit(self, X: Any, y: Any = None) -> Self:
        """Validate the parameters and record the input shape.

        Parameters
        ----------
        X : array-like of shape (n_clips, n_bins, n_frames), or Spectra
            Spectra (clips of any lengths where the step allows it); 2-D
            input is one frame per clip.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted step.
        """
        self._validate_params()
        X = check_spectra(
            self,
            X,
            reset=True,
            allow_4d=self._allow_4d,
            expand_2d=self._expand_2d,
            allow_ragged=self._allow_ragged,
        )
        self._fit(X)
        return self

    _allow_4d = False
    _expand_2d = True
    _allow_ragged = True

    def _fit(self, X: Any) -> None:
        """Learn from validated spectra (nothing by default)."""

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


class _StatelessSpectra(StatelessArrayMixin, _SpectraTransformer):
    """A spectra step with 3-D/4-D output: usable without fit."""


class Deltas(_StatelessSpectra):
    """Local derivatives over time, equal to ``librosa.feature.delta``.

    Each bin's trajectory is differentiated with a Savitzky-Golay filter of
    ``width`` frames; the output keeps the input's frames, so the
    derivatives can be stacked under the spectra (``stack=True``).

    Parameters
    ----------
    width : int, default=9
        Odd number of frames of the Savitzky-Golay window (>= 3).
    order : int, default=1
        Derivative order.
    mode : {"interp", "nearest", "mirror", "constant", "wrap"}, default="interp"
        Edge handling, as in ``scipy.signal.savgol_filter``. ``"interp"``
        needs at least ``width`` frames.
    stack : bool, default=False
        Return the input and every derivative up to ``order`` stacked along
        the bin axis (``n_bins * (order + 1)`` bins) instead of the
        ``order``-th derivative alone.

    Attributes
    ----------
    n_features_in_ : int
        Bins seen at fit.

    See Also
    --------
    audiosk.features.MFCC : Coefficients whose deltas are the classic speech features.
    TemporalStats : Summarise the spectra or their deltas over time.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.features import Deltas
    >>> S = np.tile(np.arange(10, dtype=np.float32), (2, 3, 1))
    >>> Deltas(width=3).fit_transform(S)[0, 0, :4]
    array([1., 1., 1., 1.], dtype=float32)
    >>> Deltas(order=2, stack=True, width=3).fit_transform(S).shape
    (2, 9, 10)
    """

    _parameter_constraints: dict[str, Any] = {
        "width": [Interval(Integral, 3, None, closed="left")],
        "order": [Interval(Integral, 1, None, closed="left")],
        "mode": [StrOptions({"interp", "nearest", "mirror", "constant", "wrap"})],
        "stack": ["boolean"],
    }

    def __init__(
        self, *, width: int = 9, order: int = 1, mode: str = "interp", stack: bool = False
    ) -> None:
        self.width = width
        self.order = order
        self.mode = mode
        self.stack = stack

    def transform(self, X: Any) -> Any:
        """Compute the derivatives.

        Parameters
        ----------
        X : array-like of shape (n_clips, n_bins, n_frames), or Spectra
            Spectra or coefficients (MFCC); clips of any lengths as a
            :class:`~audiosk.containers.Spectra` list.

        Returns
        -------
        D : ndarray of shape (n_clips, n_bins, n_frames) or (n_clips, n_bins * (order + 1), n_frames), float32
            A :class:`~audiosk.containers.Spectra` list for clips of different
            lengths, each clip's derivatives computed over its own frames.
        """
        self._validate_params()
        if self.order >= self.width or self.width % 2 == 0:
            raise ValueError(
                f"Deltas(order={self.order}, width={self.width}): width must be odd and "
                "larger than order (a Savitzky-Golay window of that many frames fits a "
                "polynomial of that order). Raise width or lower order."
            )
        X = check_spectra(self, X, reset=False, allow_ragged=True)
        if not isinstance(X, Spectra):
            return self._deltas(X)
        short = np.flatnonzero(X.lengths < (self.width if self.mode == "interp" else 1))
        if len(short):
            raise ValueError(
                f"Deltas(mode='interp') needs at least width={self.width} frames in every "
                f"clip; clip {short[0]} has {X.lengths[short[0]]} ({len(short)} clips are "
                "shorter). Lower width or use mode='nearest'."
            )
        return Spectra([self._deltas(x[None])[0] for x in X], sr=X.sr)

    def _deltas(self, X: np.ndarray) -> np.ndarray:
        import librosa

        if self.mode == "interp" and X.shape[-1] < self.width:
            raise ValueError(
                f"Deltas(mode='interp') needs at least width={self.width} frames; the "
                f"spectra have {X.shape[-1]}. Lower width or use mode='nearest'."
            )
        orders = range(1, self.order + 1) if self.stack else [self.order]
        out = [
            librosa.feature.delta(X, width=self.width, order=o, axis=-1, mode=self.mode)
            for o in orders
        ]
        if self.stack:
            out = [X] + out
        return np.concatenate(out, axis=1).astype(np.float32, copy=False)


_STATS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "mean": lambda X: X.mean(axis=-1),
    "std": lambda X: X.std(axis=-1),
    "var": lambda X: X.var(axis=-1),
    "min": lambda X: X.min(axis=-1),
    "max": lambda X: X.max(axis=-1),
    "median": lambda X: np.median(X, axis=-1),
    "skew": lambda X: _moment_ratio(X, 3),
    "kurtosis": lambda X: _moment_ratio(X, 4) - 3.0,
}


def _moment_ratio(X: np.ndarray, k: int) -> np.ndarray:
    centred = X - X.mean(axis=-1, keepdims=True)
    m2 = np.mean(centred**2, axis=-1)
    mk = np.mean(centred**k, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = mk / m2 ** (k / 2)
    return np.where(m2 > 0, out, 0.0 if k == 3 else 3.0)


class TemporalStats(_SpectraTransformer):
    """Summarise each bin over time: spectra to a named feature table.

    Each clip is described whole, by statistics over its own frames, so
    clips of any lengths (a :class:`~audiosk.containers.Spectra` list) give one
    row each without padding.

    Parameters
    ----------
    stats : sequence of str, default=("mean", "std")
        Statistics, among "mean", "std", "var", "min", "max", "median",
        "skew" and "kurtosis" (excess; 0 for a constant bin).
    prefix : str, default="bin"
        Column names are ``f"{prefix}{index}_{stat}"``; bins counted from
        ``start``.
    start : int, default=0
        Index of the first bin in the names (1 gives ``mfcc1_mean`` ...,
        as in the GTZAN table).

    Attributes
    ----------
    n_features_in_ : int
        Bins seen at fit.

    See Also
    --------
    Flatten : Keep every frame instead, for clips of one length.
    Deltas : Derivatives over time, to summarise beside the spectra.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.features import TemporalStats
    >>> S = np.arange(12, dtype=np.float32).reshape(1, 2, 6)
    >>> ts = TemporalStats(stats=["mean", "max"], prefix="mfcc", start=1).fit(S)
    >>> ts.transform(S)
    array([[ 2.5,  5. ,  8.5, 11. ]], dtype=float32)
    >>> list(ts.get_feature_names_out())
    ['mfcc1_mean', 'mfcc1_max', 'mfcc2_mean', 'mfcc2_max']
    """

    _parameter_constraints: dict[str, Any] = {
        "stats": [list, tuple],
        "prefix": [str],
        "start": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(
        self, *, stats: Sequence[str] = ("mean", "std"), prefix: str = "bin", start: int = 0
    ) -> None:
        self.stats = stats
        self.prefix = prefix
        self.start = start

    def _fit(self, X: np.ndarray) -> None:
        stats = [str(s) for s in self.stats]  # plain strings in messages, not np.str_('...')
        if len(set(stats)) != len(stats):
            raise ValueError(
                f"TemporalStats: stats={stats} names a statistic twice; "
                "each column name must be unique."
            )
        unknown = sorted(set(stats) - set(_STATS))
        if unknown or not self.stats:
            raise ValueError(
                f"TemporalStats: unknown stats {unknown or '(none given)'}; choose among {sorted(_STATS)}."
            )

    def transform(self, X: Any) -> Any:
        """Compute the statistics.

        Parameters
        ----------
        X : array-like of shape (n_clips, n_bins, n_frames), or Spectra
            Spectra; clips of any lengths as a :class:`~audiosk.containers.Spectra` list.

        Returns
        -------
        T : ndarray of shape (n_clips, n_bins * len(stats)), float32
            Bin-major: every statistic of bin 0, then of bin 1, ...; each
            clip's over its own frames.
        """
        check_is_fitted(self)
        X = check_spectra(self, X, reset=False, allow_ragged=True)
        if isinstance(X, Spectra):
            return np.concatenate([self._stats(x[None]) for x in X])
        return self._stats(X)

    def _stats(self, X: np.ndarray) -> np.ndarray:
        X64 = X.astype(np.float64)
        cols = np.stack([_STATS[s](X64) for s in self.stats], axis=-1)
        return cols.reshape(len(X), -1).astype(np.float32)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Column names ``f"{prefix}{bin}_{stat}"``.

        Parameters
        ----------
        input_features : None
            Ignored.

        Returns
        -------
        names : ndarray of str of shape (n_bins * len(stats),)
            One name per column of ``transform``'s output, in its order.
        """
        check_is_fitted(self)
        return np.asarray(
            [
                f"{self.prefix}{b + self.start}_{s}"
                for b in range(self.n_features_in_)
                for s in self.stats
            ],
            dtype=object,
        )


class Flatten(_SpectraTransformer):
    """Flatten spectra or images to one row per clip.

    The 2-D table it gives (row-major: every frame of bin 0, then of bin 1,
    ...) feeds any scikit-learn estimator. Every clip must have the shape
    seen at fit.

    Attributes
    ----------
    input_shape_ : tuple of int
        Shape of one clip seen at fit; transform requires the same.
    n_features_in_ : int
        Bins (3-D input) or channels (4-D input) seen at fit.

    See Also
    --------
    TemporalStats : One row per clip of any length, by statistics over time.
    audiosk.preprocessing.PadTrim : Give every clip one length, so spectra share a shape.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.features import Flatten
    >>> S = np.zeros((5, 2, 3), dtype=np.float32)
    >>> f = Flatten().fit(S)
    >>> f.transform(S).shape, list(f.get_feature_names_out()[:3])
    ((5, 6), ['bin0_frame0', 'bin0_frame1', 'bin0_frame2'])
    """

    _parameter_constraints: dict[str, Any] = {}
    _allow_4d = True
    _allow_ragged = False

    def _fit(self, X: np.ndarray) -> None:
        self.input_shape_ = tuple(X.shape[1:])

    def transform(self, X: Any) -> Any:
        """Reshape to 2-D.

        Parameters
        ----------
        X : array-like of shape (n_clips, n_bins, n_frames) or (n_clips, C, H, W)
            Spectra or images of the shape seen at fit.

        Returns
        -------
        X_flat : ndarray of shape (n_clips, n_features_out), float32
            Each clip's values in row-major order.
        """
        check_is_fitted(self)
        X = check_spectra(self, X, reset=False, allow_4d=True)
        if tuple(X.shape[1:]) != self.input_shape_:
            raise ValueError(
                f"Flatten was fitted on clips of shape {self.input_shape_}, got "
                f"{tuple(X.shape[1:])}: pad or trim the audio to one length (PadTrim)."
            )
        return X.reshape(len(X), -1)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Name the columns ``bin{b}_frame{t}`` (3-D) or ``ch{c}_y{h}_x{w}`` (4-D).

        Parameters
        ----------
        input_features : None
            Ignored.

        Returns
        -------
        names : ndarray of str of shape (n_features_out,)
            One name per column of ``transform``'s output, in its order.
        """
        check_is_fitted(self)
        index = np.indices(self.input_shape_).reshape(len(self.input_shape_), -1).T
        pattern = "bin{}_frame{}" if len(self.input_shape_) == 2 else "ch{}_y{}_x{}"
        return np.asarray([pattern.format(*i) for i in index], dtype=object)


class SpectrogramScaler(_SpectraTransformer):
    """Standardise spectra per frequency bin, or each clip on its own.

    With ``per_clip=False`` the mean and standard deviation of every bin are
    learned at fit over all clips and frames (on 2-D input this is
    ``StandardScaler``). With ``per_clip=True`` each clip is standardised by
    its own mean and standard deviation at transform, and fit learns nothing.
    Clips of any lengths (a :class:`~audiosk.containers.Spectra` list) count
    every frame each has, and nothing else.

    Parameters
    ----------
    per_clip : bool, default=False
        Normalise each clip by its own statistics.
    with_mean : bool, default=True
        Subtract the mean.
    with_std : bool, default=True
        Divide by the standard deviation (bins or clips with zero variance
        are left unscaled).

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,), (n_bins,) or (C, H), or None
        Mean over clips and frames: one per column of 2-D input
        ``(n_clips, n_features)``, one per bin of spectra
        ``(n_clips, n_bins, n_frames)``, one per channel and row of images
        ``(n_clips, C, H, W)`` (over clips and the last axis ``W``). None
        with ``per_clip`` or without ``with_mean``.
    scale_ : ndarray of the shape of ``mean_``, or None
        Standard deviation over the same axes (1 where it is zero). None
        with ``per_clip`` or without ``with_std``.
    n_features_in_ : int
        Columns (2-D input), bins (3-D) or channels (4-D) seen at fit.

    See Also
    --------
    audiosk.features.MelSpectrogram : Spectra to scale, best in dB.
    Flatten : Make a table of the scaled spectra.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.features import SpectrogramScaler
    >>> S = np.stack([np.full((2, 4), 1.0), np.full((2, 4), 3.0)]).astype(np.float32)
    >>> SpectrogramScaler().fit(S).mean_
    array([2., 2.])
    >>> SpectrogramScaler().fit(np.zeros((5, 3, 8, 10), np.float32)).mean_.shape  # (C, H)
    (3, 8)
    >>> SpectrogramScaler().fit_transform(S)[:, 0, 0]
    array([-1.,  1.], dtype=float32)
    """

    _parameter_constraints: dict[str, Any] = {
        "per_clip": ["boolean"],
        "with_mean": ["boolean"],
        "with_std": ["boolean"],
    }
    _allow_4d = True
    _expand_2d = False

    def __init__(
        self, *, per_clip: bool = False, with_mean: bool = True, with_std: bool = True
    ) -> None:
        self.per_clip = per_clip
        self.with_mean = with_mean
        self.with_std = with_std

    def _stat_axes(self, X: np.ndarray) -> tuple[int, ...]:
        if self.per_clip:
            return tuple(range(1, X.ndim))
        return (0, X.ndim - 1) if X.ndim > 2 else (0,)

    def _fit(self, X: Any) -> None:
        self.mean_ = self.scale_ = None
        if self.per_clip:
            return
        if isinstance(X, Spectra):  # every valid frame of every clip
            X = np.concatenate(X, axis=1)[None]
        X64 = X.astype(np.float64)
        axes = self._stat_axes(X)
        if self.with_mean:
            self.mean_ = X64.mean(axis=axes)
        if self.with_std:
            std = X64.std(axis=axes)
            self.scale_ = np.where(std > 10 * np.finfo(np.float64).eps, std, 1.0)

    def transform(self, X: Any) -> Any:
        """Standardise.

        Parameters
        ----------
        X : array-like of shape (n_clips, n_features), (n_clips, n_bins, n_frames) or (n_clips, C, H, W)
            A table, spectra or images, of the rank and size seen at fit; or
            spectra of any lengths as a :class:`~audiosk.containers.Spectra` list.

        Returns
        -------
        X_scaled : ndarray of the input's shape, float32
            A :class:`~audiosk.containers.Spectra` list for a list input.
        """
        check_is_fitted(self)
        X = check_spectra(self, X, reset=False, allow_4d=True, expand_2d=False, allow_ragged=True)
        if isinstance(X, Spectra):
            return Spectra([self._scale(x[None])[0] for x in X], sr=X.sr)
        return self._scale(X)

    def _scale(self, X: np.ndarray) -> np.ndarray:
        X = X.astype(np.float64)
        if self.per_clip:
            axes = self._stat_axes(X)
            mean: Any
            scale: Any
            mean = X.mean(axis=axes, keepdims=True) if self.with_mean else 0.0
            if self.with_std:
                std = X.std(axis=axes, keepdims=True)
                scale = np.where(std > 10 * np.finfo(np.float64).eps, std, 1.0)
            else:
                scale = 1.0
        else:
            shape = (1,) + X.shape[1:-1] + (1,) if X.ndim > 2 else (1, -1)
            mean = self.mean_.reshape(shape) if self.mean_ is not None else 0.0
            scale = self.scale_.reshape(shape) if self.scale_ is not None else 1.0
        scaled: np.ndarray = ((X - mean) / scale).astype(np.float32)
        return scaled

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Return the names of 2-D output (for 2-D input): the input's names or ``x0`` ...

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input column names; ``None`` takes those seen at fit, or ``x0`` ...

        Returns
        -------
        names : ndarray of str of shape (n_features_in,)
            The output names, those of the input.
        """
        from ..utils._sklearn_compat import check_feature_names_in

        check_is_fitted(self)
        names: np.ndarray = check_feature_names_in(self, input_features)
        return names
