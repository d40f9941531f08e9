"""Chunk-level training with clip-level predictions."""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, RegressorMixin, clone
from sklearn.pipeline import Pipeline
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, column_or_1d, has_fit_parameter

from .preprocessing import split_chunks
from .utils import WaveformArray
from .utils._sklearn_compat import HasMethods, Interval, StrOptions, check_sample_weight
from .utils._waveforms import check_audio

__all__ = ["ChunkedClassifier", "ChunkedRegressor"]


def _mean_by_clip(values, clip_index, n_clips):
    sums = np.zeros((n_clips,) + values.shape[1:])
    np.add.at(sums, clip_index, values)
    return sums / np.bincount(clip_index, minlength=n_clips).reshape(
        (-1,) + (1,) * (values.ndim - 1)
    )


class _ChunkedBase(MetaEstimatorMixin, BaseEstimator):
    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"])],
        "chunk_seconds": [Interval(Real, 0, None, closed="neither")],
        "hop_seconds": [Interval(Real, 0, None, closed="neither"), None],
        "sr": [Interval(Real, 0, None, closed="neither"), None],
    }

    def _chunks(self, X, *, reset=False):
        X, sr = check_audio(self, X, reset=reset)
        chunk = int(round(self.chunk_seconds * sr))
        hop = int(round((self.hop_seconds or self.chunk_seconds) * sr))
        if chunk < 1 or hop < 1:
            raise ValueError(
                f"{type(self).__name__}: chunk_seconds={self.chunk_seconds} and hop_seconds="
                f"{self.hop_seconds} must each span at least one sample at {sr} Hz."
            )
        chunks, clip_index = split_chunks(X, chunk_length=chunk, hop_length=hop)
        return WaveformArray(chunks, sr=sr), clip_index, len(X)

    def fit(self, X, y, sample_weight=None, groups=None, **fit_params):
        """Fit the estimator on the chunks of every clip.

        Parameters
        ----------
        X : list of ndarray or ndarray of shape (n_clips, n_samples)
            Waveforms (carrying their rate, or with ``sr`` set).
        y : array-like of shape (n_clips,)
            One target per clip, given to each of its chunks.
        sample_weight : array-like of shape (n_clips,) or None, default=None
            Weight of each clip, given to each of its chunks (passed to the
            final step of a pipeline as ``<step>__sample_weight``).
        groups : array-like of shape (n_clips,) or None, default=None
            Group of each clip (speaker, artist). The estimator's ``fit``
            receives ``groups`` per chunk when it accepts them (a net's
            internal validation split): these groups when given, else the
            clip index, so a held-out part never takes chunks of a training
            clip.
        **fit_params
            Passed to the estimator's ``fit``; an array of one value per clip
            is repeated for each of its chunks.

        Returns
        -------
        self
        """
        self._validate_params()
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        y = column_or_1d(y, warn=True)
        chunks, clip_index, n_clips = self._chunks(X, reset=True)
        if len(y) != n_clips:
            raise ValueError(f"X has {n_clips} clips but y has {len(y)} targets.")
        if groups is not None:
            groups = column_or_1d(groups)
            if len(groups) != n_clips:
                raise ValueError(f"X has {n_clips} clips but groups has {len(groups)} values.")
        estimator = clone(self.estimator)
        params = {k: _per_chunk(v, clip_index, n_clips) for k, v in fit_params.items()}
        if sample_weight is not None:
            weights = check_sample_weight(sample_weight, np.empty((n_clips, 1)))
            params[_fit_key(estimator, "sample_weight", required=True)] = weights[clip_index]
        key = _fit_key(estimator, "groups")
        if key is not None and key not in params:
            params[key] = clip_index if groups is None else groups[clip_index]
        self.estimator_ = estimator.fit(chunks, y[clip_index], **params)
        self.n_chunks_ = len(chunks)
        return self


def _estimator_has(method):
    """Whether the fitted estimator (or, before fit, the given one) has ``method``."""
    return lambda self: hasattr(getattr(self, "estimator_", self.estimator), method)


def _per_chunk(value, clip_index, n_clips):
    """Repeat a per-clip fit parameter for each chunk; pass anything else as it is."""
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
            f"{type(estimator).__name__}.fit does not accept {name}; the chunks cannot be "
            f"weighted. Use an estimator whose fit takes {name}, or no {name}."
        )
    return None


class ChunkedClassifier(ClassifierMixin, _ChunkedBase):
    """Train a classifier on fixed-length chunks, predict one label per clip.

    Each clip is cut into ``chunk_seconds`` chunks (a 30 s track into ten
    3 s chunks), the estimator is fitted on the chunks with their clip's
    label, and chunk predictions are aggregated back to the clip, so the
    output keeps one row per input clip and cross-validation splits clips,
    never chunks of one clip across folds.

    Parameters
    ----------
    estimator : classifier
        Fitted on chunks ``(n_chunks, chunk_samples)`` (a pipeline from
        waveforms, e.g. ``MFCC -> TemporalStats -> model``). Its parameters
        are searchable as ``estimator__<name>``.
    chunk_seconds : float, default=3.0
        Chunk duration.
    hop_seconds : float or None, default=None
        Step between chunk starts (``chunk_seconds``: no overlap).
    sr : int or None, default=None
        Sample rate; ``None`` takes the rate the waveforms carry.
    aggregate : {"mean_proba", "vote"}, default="mean_proba"
        Clip label from the mean of the chunk probabilities, or by majority
        vote of the chunk labels (ties go to the class with the larger mean
        probability, or the first class without ``predict_proba``).

    Attributes
    ----------
    estimator_ : classifier
        The estimator fitted on all training chunks.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_chunks_ : int
        Number of training chunks.
    sample_rate_ : int
        Rate of the training waveforms; other rates are refused at predict.

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
    ...                           LogisticRegression()), chunk_seconds=1.0, sr=8000)
    >>> model.fit(X, ["low", "low", "high", "high"]).predict(X).tolist(), model.n_chunks_
    (['low', 'low', 'high', 'high'], 12)
    """

    _parameter_constraints: dict = {
        **_ChunkedBase._parameter_constraints,
        "aggregate": [StrOptions({"mean_proba", "vote"})],
    }

    def __init__(
        self, estimator, *, chunk_seconds=3.0, hop_seconds=None, sr=None, aggregate="mean_proba"
    ):
        self.estimator = estimator
        self.chunk_seconds = chunk_seconds
        self.hop_seconds = hop_seconds
        self.sr = sr
        self.aggregate = aggregate

    @property
    def classes_(self):
        """The class labels, those of the fitted ``estimator_``."""
        return self.estimator_.classes_

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Mean chunk probabilities of every clip (when the estimator has ``predict_proba``).

        Parameters
        ----------
        X : list of ndarray or ndarray of shape (n_clips, n_samples)
            Waveforms.

        Returns
        -------
        proba : ndarray of shape (n_clips, n_classes)
        """
        check_is_fitted(self)
        chunks, clip_index, n_clips = self._chunks(X)
        return _mean_by_clip(self.estimator_.predict_proba(chunks), clip_index, n_clips)

    def predict(self, X):
        """One label per clip.

        Parameters
        ----------
        X : list of ndarray or ndarray of shape (n_clips, n_samples)
            Waveforms.

        Returns
        -------
        y : ndarray of shape (n_clips,)
        """
        check_is_fitted(self)
        chunks, clip_index, n_clips = self._chunks(X)
        has_proba = hasattr(self.estimator_, "predict_proba")
        if self.aggregate == "mean_proba" and has_proba:
            proba = _mean_by_clip(self.estimator_.predict_proba(chunks), clip_index, n_clips)
            return self.classes_[proba.argmax(axis=1)]
        labels = np.searchsorted(self.classes_, self.estimator_.predict(chunks))
        votes = np.zeros((n_clips, len(self.classes_)))
        np.add.at(votes, (clip_index, labels), 1.0)
        if has_proba:  # break ties by mean probability
            votes += 1e-6 * _mean_by_clip(
                self.estimator_.predict_proba(chunks), clip_index, n_clips
            )
        return self.classes_[votes.argmax(axis=1)]


class ChunkedRegressor(RegressorMixin, _ChunkedBase):
    """Train a regressor on fixed-length chunks, predict the clip mean.

    Parameters
    ----------
    estimator : regressor
        Fitted on chunks ``(n_chunks, chunk_samples)``.
    chunk_seconds : float, default=3.0
        Chunk duration.
    hop_seconds : float or None, default=None
        Step between chunk starts.
    sr : int or None, default=None
        Sample rate; ``None`` takes the rate the waveforms carry.

    Attributes
    ----------
    estimator_ : regressor
        The estimator fitted on all training chunks.
    n_chunks_ : int
        Number of training chunks.
    sample_rate_ : int
        Rate of the training waveforms; other rates are refused at predict.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.dummy import DummyRegressor
    >>> from audiosk.chunking import ChunkedRegressor
    >>> X = np.zeros((2, 16000), dtype=np.float32)
    >>> ChunkedRegressor(DummyRegressor(), chunk_seconds=0.5, sr=8000).fit(X, [1.0, 3.0]).predict(X)
    array([2., 2.])
    """

    def __init__(self, estimator, *, chunk_seconds=3.0, hop_seconds=None, sr=None):
        self.estimator = estimator
        self.chunk_seconds = chunk_seconds
        self.hop_seconds = hop_seconds
        self.sr = sr

    def predict(self, X):
        """Mean chunk prediction of every clip.

        Parameters
        ----------
        X : list of ndarray or ndarray of shape (n_clips, n_samples)
            Waveforms.

        Returns
        -------
        y : ndarray of shape (n_clips,) or (n_clips, n_targets)
        """
        check_is_fitted(self)
        chunks, clip_index, n_clips = self._chunks(X)
        return _mean_by_clip(
            np.asarray(self.estimator_.predict(chunks), dtype=float), clip_index, n_clips
        )
