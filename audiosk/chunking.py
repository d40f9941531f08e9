"""Window-level training with clip-level predictions: long recordings described by windows."""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    RegressorMixin,
    clone,
    is_regressor,
)
from sklearn.pipeline import Pipeline
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, column_or_1d, has_fit_parameter

from .containers import WaveformArray
from .preprocessing import split_windows
from .utils._sklearn_compat import HasMethods, Interval, StrOptions, check_sample_weight
from .utils._threads import limited_threads, thread_count
from .utils._waveforms import check_audio

__all__ = ["ChunkedClassifier", "ChunkedRegressor"]

_DEFAULT_WINDOW = 3.0


def _by_clip(values, clip_index, n_clips, how):
    """Combine the rows of each clip's windows column by column: "mean", "max" or "median".

    ``clip_index`` is sorted and names every clip at least once (as
    :func:`~audiosk.preprocessing.split_windows` returns it).
    """
    values = np.asarray(values, dtype=float)
    first = np.searchsorted(clip_index, np.arange(n_clips))
    if how == "max":
        return np.maximum.reduceat(values, first, axis=0)
    if how == "median":
        return np.stack([np.median(part, axis=0) for part in np.split(values, first[1:])])
    counts = np.diff(np.append(first, len(values)))
    return np.add.reduceat(values, first, axis=0) / counts.reshape((-1,) + (1,) * (values.ndim - 1))


class _ChunkedBase(MetaEstimatorMixin, BaseEstimator):
    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"])],
        "window_seconds": [Interval(Real, 0, None, closed="neither")],
        "hop_seconds": [Interval(Real, 0, None, closed="neither"), None],
        "sr": [Interval(Real, 0, None, closed="neither"), None],
    }

    def _check_y(self, y):
        """One target per clip: 1-D labels for a classifier; a regressor keeps 2-D targets."""
        y = np.asarray(y)
        if is_regressor(self) and y.ndim == 2 and y.shape[1] > 1:
            return y
        return column_or_1d(y, warn=True)

    def _windows(self, X, *, reset=False):
        """Cut the clips into windows: (windows, clip index, start in seconds, number of clips)."""
        window_seconds = self.window_seconds
        if self.hop_seconds is not None and self.hop_seconds > window_seconds:
            raise ValueError(
                f"{type(self).__name__}: hop_seconds={self.hop_seconds} is longer than "
                f"window_seconds={window_seconds}, so the audio between windows would be "
                "skipped. Use a hop of at most window_seconds."
            )
        X, sr = check_audio(self, X, reset=reset)
        window = int(round(window_seconds * sr))
        hop = int(round((self.hop_seconds or window_seconds) * sr))
        if window < 1 or hop < 1:
            raise ValueError(
                f"{type(self).__name__}: window_seconds={window_seconds} and hop_seconds="
                f"{self.hop_seconds} must each span at least one sample at {sr} Hz."
            )
        windows, clip_index, start = split_windows(X, window_length=window, hop_length=hop)
        return WaveformArray(windows, sr=sr), clip_index, start / sr, len(X)

    def fit(self, X, y, sample_weight=None, groups=None, **fit_params):
        """Fit the estimator on the windows of every clip.

        Parameters
        ----------
        X : list of ndarray of shape (n_samples_i,) or ndarray of shape (n_clips, n_samples)
            Waveforms of one length or of different lengths (carrying their
            rate, or with ``sr`` set).
        y : array-like of shape (n_clips,)
            One target per clip, given to each of its windows.
        sample_weight : array-like of shape (n_clips,) or None, default=None
            Weight of each clip, given to each of its windows (passed to the
            final step of a pipeline as ``<step>__sample_weight``).
        groups : array-like of shape (n_clips,) or None, default=None
            Group of each clip (speaker, artist). The estimator's ``fit``
            receives ``groups`` per window when it accepts them (a net's
            internal validation split): these groups when given, else the
            clip index, so a held-out part never takes windows of a training
            clip.
        **fit_params
            Passed to the estimator's ``fit``; an array of one value per clip
            is repeated for each of its windows.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._validate_params()
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        y = self._check_y(y)
        windows, clip_index, _, n_clips = self._windows(X, reset=True)
        if len(y) != n_clips:
            raise ValueError(f"X has {n_clips} clips but y has {len(y)} targets.")
        if groups is not None:
            groups = column_or_1d(groups)
            if len(groups) != n_clips:
                raise ValueError(f"X has {n_clips} clips but groups has {len(groups)} values.")
        estimator = clone(self.estimator)
        self._check_estimator(estimator)
        params = {k: _per_window(v, clip_index, n_clips) for k, v in fit_params.items()}
        if sample_weight is not None:
            weights = check_sample_weight(sample_weight, np.empty((n_clips, 1)))
            params[_fit_key(estimator, "sample_weight", required=True)] = weights[clip_index]
        key = _fit_key(estimator, "groups")
        if key is not None and key not in params:
            params[key] = clip_index if groups is None else groups[clip_index]
        with limited_threads(thread_count(len(windows))):
            self.estimator_ = estimator.fit(windows, y[clip_index], **params)
        self.n_windows_ = len(windows)
        return self

    def _check_estimator(self, estimator):
        """Refuse an estimator that cannot give what ``aggregate`` combines."""

    def _on_windows(self, method, windows):
        """Run a method of the fitted estimator on windows, inside the thread limit."""
        with limited_threads(thread_count(len(windows))):
            return getattr(self.estimator_, method)(windows)

    def predict_windows(self, X):
        """Predict every window of every clip, with where it starts.

        Parameters
        ----------
        X : list of ndarray of shape (n_samples_i,) or ndarray of shape (n_clips, n_samples)
            Waveforms.

        Returns
        -------
        y : ndarray of shape (n_windows,) or (n_windows, n_targets)
            The estimator's prediction for each window, the clips in order and
            each clip's windows in time order.
        clip : ndarray of shape (n_windows,), int64
            The clip each window belongs to (its row in ``X``).
        start : ndarray of shape (n_windows,), float64
            Start of each window in its clip, in seconds.
        """
        check_is_fitted(self)
        windows, clip_index, start, _ = self._windows(X)
        return self._on_windows("predict", windows), clip_index, start


def _estimator_has(method):
    """Whether the fitted estimator (or, before fit, the given one) has ``method``."""
    return lambda self: hasattr(getattr(self, "estimator_", self.estimator), method)


def _per_window(value, clip_index, n_clips):
    """Repeat a per-clip fit parameter for each window; pass anything else as it is."""
    if hasattr(value, "__len__") and not isinstance(value, (str, dict)) and len(value) == n_clips:
        return np.asarray(value)[clip_index]
    return value


def _fit_key(estimator, name, *, required=False):
    """Name the fit parameter that reaches ``name`` of the estimator (its last step in a pipeline)."""
    if isinstance(estimator, Pipeline):
        step, last = estimator.steps[-1]
        key = _fit_key(last, name, required=required)
        return None if key is None else f"{step}__{key}"
    if has_fit_parameter(estimator, name):
        return name
    if required:
        raise ValueError(
            f"{type(estimator).__name__}.fit does not accept {name}; the windows cannot be "
            f"weighted. Use an estimator whose fit takes {name}, or no {name}."
        )
    return None


class ChunkedClassifier(ClassifierMixin, _ChunkedBase):
    """Train a classifier on windows of each clip, predict one label per clip.

    Each clip is cut into windows of ``window_seconds`` every ``hop_seconds``
    (a 30 s track into ten 3 s windows); when a clip is not a whole number
    of hops long, one more window ends at the clip's end, so no audio is
    left out (but a remainder under 1 % of a window), and a clip shorter
    than one window is one window zero-padded at the end (see
    :func:`~audiosk.preprocessing.split_windows`). The
    estimator is fitted on the windows with their clip's label, and window
    predictions are aggregated back to the clip, so the output keeps one row
    per input clip and cross-validation splits clips, never windows of one
    clip across folds. Clips of different lengths (a list of 1-D arrays,
    :class:`~audiosk.containers.Waveforms`) give different numbers of windows.
    :meth:`predict_windows` and :meth:`predict_proba_windows` return the
    output of every window with its start time, for output over time. The
    estimator fits and predicts with BLAS and OpenMP on one thread when it is
    given fewer than 10,000 windows (threads gain little there, and wait for
    cores that other work keeps busy), as in
    :func:`~audiosk.model_selection.compare`.

    Parameters
    ----------
    estimator : classifier
        Fitted on windows ``(n_windows, window_samples)`` (a pipeline from
        waveforms, e.g. ``MFCC -> TemporalStats -> model``). Its parameters
        are searchable as ``estimator__<name>``.
    window_seconds : float, default=3.0
        Window duration.
    hop_seconds : float or None, default=None
        Time between the starts of two windows, at most ``window_seconds``
        (``None``: ``window_seconds``, windows side by side).
    sr : int or None, default=None
        Sample rate; ``None`` takes the rate the waveforms carry.
    aggregate : {"mean", "max", "vote"}, default="mean"
        How the windows of a clip give its label and probabilities:

        - ``"mean"``: the mean of the window probabilities;
        - ``"max"``: for each class its largest probability over the
          windows, renormalised to sum to 1 (a class present in a single
          window of a long recording counts as much as one present
          throughout);
        - ``"vote"``: the label most windows predict (ties go to the class
          with the larger mean probability, else the first class);
          ``predict_proba`` then gives the mean probabilities.

        "mean" and "max" need an estimator with ``predict_proba``. There is
        no attention pooling: no audiosk module has an attention head (the
        PANNs networks pool time by mean and maximum).

    Attributes
    ----------
    estimator_ : classifier
        The estimator fitted on all training windows.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_windows_ : int
        Number of training windows.
    sample_rate_ : int
        Rate of the training waveforms; other rates are refused at predict.

    See Also
    --------
    audiosk.features.PANNsEmbedding : Describes windows of long clips by a
        pretrained network, with the same ``window_seconds``/``hop_seconds``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.linear_model import LogisticRegression
    >>> from audiosk.features import MFCC, TemporalStats
    >>> from audiosk.chunking import ChunkedClassifier
    >>> rng = np.random.default_rng(0)
    >>> t = np.arange(3 * 8000) / 8000
    >>> X = [np.sin(2 * np.pi * f * t) + 0.1 * rng.normal(size=t.size) for f in [200, 220, 1500, 1600]]
    >>> model = ChunkedClassifier(make_pipeline(MFCC(sr=8000, n_mfcc=8), TemporalStats(),
    ...                           LogisticRegression()), window_seconds=1.0, sr=8000)
    >>> model.fit(X, ["low", "low", "high", "high"]).predict(X).tolist(), model.n_windows_
    (['low', 'low', 'high', 'high'], 12)
    >>> labels, clip, start = model.predict_windows(X[:1])
    >>> labels.tolist(), clip.tolist(), start.tolist()
    (['low', 'low', 'low'], [0, 0, 0], [0.0, 1.0, 2.0])
    """

    _parameter_constraints: dict = {
        **_ChunkedBase._parameter_constraints,
        "aggregate": [StrOptions({"mean", "max", "vote"})],
    }

    def __init__(
        self,
        estimator,
        *,
        window_seconds=_DEFAULT_WINDOW,
        hop_seconds=None,
        sr=None,
        aggregate="mean",
    ):
        self.estimator = estimator
        self.window_seconds = window_seconds
        self.hop_seconds = hop_seconds
        self.sr = sr
        self.aggregate = aggregate

    @property
    def classes_(self):
        """The class labels, those of the fitted ``estimator_``."""
        return self.estimator_.classes_

    def _check_estimator(self, estimator):
        if self.aggregate != "vote" and not hasattr(estimator, "predict_proba"):
            raise ValueError(
                f"ChunkedClassifier: aggregate='{self.aggregate}' combines window "
                f"probabilities, but {type(estimator).__name__} has no predict_proba. Use "
                "aggregate='vote', or an estimator with predict_proba."
            )

    def _clip_proba(self, proba, clip_index, n_clips):
        if self.aggregate == "max":
            peak = _by_clip(proba, clip_index, n_clips, "max")
            return peak / peak.sum(axis=1, keepdims=True)
        return _by_clip(proba, clip_index, n_clips, "mean")

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities of every clip, from those of its windows (``aggregate``).

        Only when the estimator has ``predict_proba``.

        Parameters
        ----------
        X : list of ndarray of shape (n_samples_i,) or ndarray of shape (n_clips, n_samples)
            Waveforms.

        Returns
        -------
        proba : ndarray of shape (n_clips, n_classes)
            The mean of the window probabilities (``"mean"``, ``"vote"``)
            or their renormalised maximum (``"max"``).
        """
        check_is_fitted(self)
        windows, clip_index, _, n_clips = self._windows(X)
        return self._clip_proba(self._on_windows("predict_proba", windows), clip_index, n_clips)

    predict_windows = _ChunkedBase.predict_windows  # documented on this page too

    @available_if(_estimator_has("predict_proba"))
    def predict_proba_windows(self, X):
        """Class probabilities of every window of every clip, with where it starts.

        Only when the estimator has ``predict_proba``.

        Parameters
        ----------
        X : list of ndarray of shape (n_samples_i,) or ndarray of shape (n_clips, n_samples)
            Waveforms.

        Returns
        -------
        proba : ndarray of shape (n_windows, n_classes)
            The clips in order and each clip's windows in time order.
        clip : ndarray of shape (n_windows,), int64
            The clip each window belongs to (its row in ``X``).
        start : ndarray of shape (n_windows,), float64
            Start of each window in its clip, in seconds.
        """
        check_is_fitted(self)
        windows, clip_index, start, _ = self._windows(X)
        return self._on_windows("predict_proba", windows), clip_index, start

    def predict(self, X):
        """One label per clip, from its windows (``aggregate``).

        Parameters
        ----------
        X : list of ndarray of shape (n_samples_i,) or ndarray of shape (n_clips, n_samples)
            Waveforms.

        Returns
        -------
        y : ndarray of shape (n_clips,)
            The label of each clip.
        """
        check_is_fitted(self)
        self._check_estimator(self.estimator_)
        windows, clip_index, _, n_clips = self._windows(X)
        has_proba = hasattr(self.estimator_, "predict_proba")
        proba = self._on_windows("predict_proba", windows) if has_proba else None
        if self.aggregate != "vote":
            return self.classes_[self._clip_proba(proba, clip_index, n_clips).argmax(axis=1)]
        labels = np.searchsorted(self.classes_, self._on_windows("predict", windows))
        votes = np.zeros((n_clips, len(self.classes_)))
        np.add.at(votes, (clip_index, labels), 1.0)
        if has_proba:  # break ties by mean probability (below one vote)
            votes += 1e-6 * _by_clip(proba, clip_index, n_clips, "mean")
        return self.classes_[votes.argmax(axis=1)]


class ChunkedRegressor(RegressorMixin, _ChunkedBase):
    """Train a regressor on windows of each clip, predict one value per clip.

    The windows are those of :class:`ChunkedClassifier`: every
    ``hop_seconds``, the last ending at the clip's end, a clip shorter than
    one window zero-padded to one window. The estimator is fitted on the
    windows with their clip's target; a clip's prediction aggregates those of
    its windows, and :meth:`predict_windows` returns them with their start
    times. As in :class:`ChunkedClassifier`, BLAS and OpenMP run on one
    thread for fewer than 10,000 windows.

    Parameters
    ----------
    estimator : regressor
        Fitted on windows ``(n_windows, window_samples)``.
    window_seconds : float, default=3.0
        Window duration.
    hop_seconds : float or None, default=None
        Time between the starts of two windows, at most ``window_seconds``
        (``None``: ``window_seconds``, windows side by side).
    sr : int or None, default=None
        Sample rate; ``None`` takes the rate the waveforms carry.
    aggregate : {"mean", "median", "max"}, default="mean"
        How the window predictions of a clip give its value (per target).
        There is no attention pooling: no audiosk module has an attention
        head.

    Attributes
    ----------
    estimator_ : regressor
        The estimator fitted on all training windows.
    n_windows_ : int
        Number of training windows.
    sample_rate_ : int
        Rate of the training waveforms; other rates are refused at predict.

    See Also
    --------
    ChunkedClassifier : The same windows for a classifier.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.dummy import DummyRegressor
    >>> from audiosk.chunking import ChunkedRegressor
    >>> X = np.zeros((2, 16000), dtype=np.float32)
    >>> model = ChunkedRegressor(DummyRegressor(), window_seconds=0.5, sr=8000)
    >>> model.fit(X, [1.0, 3.0]).predict(X)
    array([2., 2.])
    >>> values, clip, start = model.predict_windows(X[:1])
    >>> start.tolist()
    [0.0, 0.5, 1.0, 1.5]
    """

    _parameter_constraints: dict = {
        **_ChunkedBase._parameter_constraints,
        "aggregate": [StrOptions({"mean", "median", "max"})],
    }

    def __init__(
        self,
        estimator,
        *,
        window_seconds=_DEFAULT_WINDOW,
        hop_seconds=None,
        sr=None,
        aggregate="mean",
    ):
        self.estimator = estimator
        self.window_seconds = window_seconds
        self.hop_seconds = hop_seconds
        self.sr = sr
        self.aggregate = aggregate

    predict_windows = _ChunkedBase.predict_windows  # documented on this page too

    def predict(self, X):
        """One value per clip: the mean, median or maximum of its window predictions.

        Parameters
        ----------
        X : list of ndarray of shape (n_samples_i,) or ndarray of shape (n_clips, n_samples)
            Waveforms.

        Returns
        -------
        y : ndarray of shape (n_clips,) or (n_clips, n_targets)
            The value of each clip.
        """
        check_is_fitted(self)
        windows, clip_index, _, n_clips = self._windows(X)
        prediction = self._on_windows("predict", windows)
        return _by_clip(prediction, clip_index, n_clips, self.aggregate)
