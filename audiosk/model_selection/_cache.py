"""A caching step for searches: a front end fitted and applied once per fold, keyed by content."""

from __future__ import annotations

from typing import Any, Self

import joblib
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils import get_tags
from sklearn.utils.validation import check_is_fitted

from ..utils._hashing import library_versions
from ..utils._sklearn_compat import HasMethods

__all__ = ["CachedTransformer"]


def _key(value: Any, where: str) -> str:
    from ..utils._hashing import content_key

    return content_key(value, where)


def data_key(X: Any) -> str:
    """Key the input of a step by audiosk's one content key.

    Parameters
    ----------
    X : sequence of paths, array-like or None
        Data given to a step.

    Returns
    -------
    key : str

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.model_selection._cache import data_key
    >>> data_key(np.zeros(3)) == data_key(np.zeros(3)) != data_key(np.ones(3))
    True
    """
    return _key(X, "X")


def _fit_transform(transformer: Any, keys: tuple[str, ...], X: Any, y: Any) -> tuple[Any, Any]:
    fitted = clone(transformer)
    return fitted, fitted.fit_transform(X, y)


def _transform(keys: tuple[str, ...], fitted: Any, X: Any) -> Any:
    return fitted.transform(X)


class CachedTransformer(TransformerMixin, BaseEstimator):
    """A transformer whose fitting and output are cached on disk across a search.

    Put the part of a pipeline that a search does not tune (loading, padding,
    spectra, statistics) in a ``CachedTransformer`` in front of the tuned
    steps: every candidate of a fold then reuses the front end fitted on
    that fold's training clips and its output for the training and the test
    clips, so each file is decoded and each feature computed once per fold
    instead of once per candidate.

    The cache key is audiosk's one content key (the one of its jobs) of the
    front end, its input and the versions of the libraries that change
    numbers (audiosk, numpy, scipy, librosa, soundfile and libsndfile,
    soxr): the front end by its classes and parameters, less ``n_jobs`` and
    ``verbose``, a function among them by its source (a lambda or a closure
    is refused: define it with ``def``), a class of your own by its source;
    file paths by name and a SHA-256 of their bytes however they are passed
    (list, tuple, array, pandas Series, ``Path`` objects), which is cheap next
    to decoding, unlike the hash of decoded audio that ``Pipeline(memory=...)``
    computes for every step; waveforms and spectra by their samples and
    rate; a :class:`~audiosk.containers.DiskArray` by its file's bytes and
    rows; other inputs by their values. So a rewritten file, an edited
    function or another library version gets a new key, and a search with
    more jobs reuses the cache. The front end must be deterministic given
    its parameters and training data, as audiosk's loading and feature
    steps are.

    Parameters
    ----------
    transformer : estimator with fit_transform and transform
        The front end (often a :class:`~sklearn.pipeline.Pipeline`).
    memory : str, joblib.Memory or None, default=None
        Cache location (a folder, or a ``joblib.Memory``); None caches nothing.

    Attributes
    ----------
    transformer_ : estimator
        The fitted front end (from the cache when it was there).
    n_features_in_ : int
        The front end's, when it has one.
    feature_names_in_ : ndarray of str
        The front end's, when it has them.

    See Also
    --------
    compare : Shares the steps that learn nothing across pipelines on its own.

    Examples
    --------
    >>> import tempfile
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn.pipeline import make_pipeline
    >>> from audiosk.datasets import load_spoken_digits
    >>> from audiosk.features import MFCC, TemporalStats
    >>> from audiosk.io import AudioLoader
    >>> from audiosk.model_selection import CachedTransformer
    >>> from audiosk.preprocessing import PadTrim
    >>> digits = load_spoken_digits()
    >>> front = make_pipeline(AudioLoader(sr=8000), PadTrim(), MFCC(n_fft=256), TemporalStats())
    >>> with tempfile.TemporaryDirectory() as cache:
    ...     pipe = make_pipeline(CachedTransformer(front, memory=cache), LogisticRegression())
    ...     search = GridSearchCV(pipe, {"logisticregression__C": [0.1, 1.0]}, cv=2)
    ...     search = search.fit(digits.filenames[:100], digits.target[:100])
    >>> search.best_params_["logisticregression__C"] in (0.1, 1.0)
    True
    """

    _parameter_constraints: dict[str, Any] = {
        "transformer": [HasMethods(["fit_transform", "transform"])],
        "memory": [None, str, HasMethods(["cache"])],
    }

    def __init__(self, transformer: Any, *, memory: Any = None) -> None:
        self.transformer = transformer
        self.memory = memory

    def fit(self, X: Any, y: Any = None) -> Self:
        """Fit the front end on ``X`` (or load it from the cache).

        Parameters
        ----------
        X : sequence of paths or array-like
            Input of the front end.
        y : array-like or None, default=None
            Targets, passed to the front end.

        Returns
        -------
        self : CachedTransformer
            The fitted step.
        """
        self.fit_transform(X, y)
        return self

    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> Any:
        """Fit the front end on ``X`` and return its output, both cached.

        Parameters
        ----------
        X : sequence of paths or array-like
            Input of the front end.
        y : array-like or None, default=None
            Targets, passed to the front end.
        **fit_params : dict
            Not supported (a cached fit cannot depend on them); must be empty.

        Returns
        -------
        Xt : array-like
            The front end's output for ``X``.
        """
        self._validate_params()
        if fit_params:
            raise TypeError(
                f"CachedTransformer does not route fit parameters ({sorted(fit_params)}); set "
                "them on the front end's steps instead."
            )
        memory = (
            joblib.Memory(self.memory, verbose=0) if isinstance(self.memory, str) else self.memory
        )
        fit = _fit_transform
        self._train_key_: tuple[str, ...] = ()
        if memory is not None:
            self._train_key_ = (
                _key(library_versions(), "versions"),
                _key(self.transformer, "transformer"),
                data_key(X),
                _key(y, "y"),
            )
            fit = memory.cache(_fit_transform, ignore=["transformer", "X", "y"])
        self.transformer_, Xt = fit(self.transformer, self._train_key_, X, y)
        for name in ("n_features_in_", "feature_names_in_"):
            if hasattr(self.transformer_, name):
                setattr(self, name, getattr(self.transformer_, name))
        return Xt

    def transform(self, X: Any) -> Any:
        """Apply the fitted front end to ``X`` (or load its output from the cache).

        Parameters
        ----------
        X : sequence of paths or array-like
            Input of the front end.

        Returns
        -------
        Xt : array-like
            The front end's output for ``X``.
        """
        check_is_fitted(self, "transformer_")
        memory = (
            joblib.Memory(self.memory, verbose=0) if isinstance(self.memory, str) else self.memory
        )
        if memory is None or not self._train_key_:  # fitted without a cache
            return self.transformer_.transform(X)
        cached = memory.cache(_transform, ignore=["fitted", "X"])
        return cached((*self._train_key_, data_key(X)), self.transformer_, X)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        inner = get_tags(self.transformer)
        tags.input_tags = inner.input_tags
        tags.transformer_tags = inner.transformer_tags
        tags.requires_fit = True
        return tags

    def get_feature_names_out(self, input_features: Any = None) -> Any:
        """Get the names of the front end's output features.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Passed to the front end.

        Returns
        -------
        names : ndarray of str
            The front end's names.
        """
        check_is_fitted(self, "transformer_")
        return self.transformer_.get_feature_names_out(input_features)
