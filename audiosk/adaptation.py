"""Adapting a trained classifier to an unheard voice: vocal tract length normalisation."""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.utils.validation import check_is_fitted

from .features import warp_frequency
from .utils._sklearn_compat import HasMethods, Interval

__all__ = ["VTLNClassifier"]


class VTLNClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Warp each speaker's spectra to the voice the classifier knows best.

    Vocal tract length normalisation at prediction time: a shorter or longer
    vocal tract scales every formant by about the same factor, so a voice
    the classifier never heard often reads better after its frequency axis
    is stretched or compressed. For every group of clips (one speaker), each
    of ``factors`` warps the spectra (:func:`~audiosk.features.warp_frequency`) and the factor
    whose predictions are the most confident (highest mean top-class
    probability over the group's clips) gives the group's predictions. No
    labels are used: only the group's own recordings.

    With ``center_per_group=True`` each group's microphone and voice colour
    are removed first (speaker mean normalisation): every group is given the
    training speakers' average mean log spectrum (over voiced frames) in
    place of its own, up to a constant (the level is left to per-clip
    scaling), in training (pass ``groups`` to ``fit``) and before warping
    at prediction. The spectra must then be in dB
    (:class:`audiosk.features.MelSpectrogram` with ``db=True``), so put
    per-clip scaling inside ``estimator``.

    Without ``groups`` the clips passed to ``predict`` are one group, which
    is what leave-one-speaker-out cross-validation passes (each test fold is
    one speaker). Train the estimator with :class:`audiosk.nets.FrequencyWarp`
    so that it has seen warped voices.

    Parameters
    ----------
    estimator : classifier with ``predict_proba``
        Fitted on the spectra as they are (speaker-normalised with
        ``center_per_group``); its parameters are searchable as
        ``estimator__<name>``.
    factors : sequence of float, default=(0.85, 0.9, 0.95, 1.0, 1.05, 1.1, 1.15)
        Warp factors tried per group (each costs one ``predict_proba`` pass).
    center_per_group : bool, default=False
        Replace each group's spectral colour (its mean log spectrum over
        voiced frames, less that spectrum's average over the bins) by the
        training speakers' before fitting and before warping; needs spectra
        in dB.
    top_db : float, default=30.0
        With ``center_per_group``, frames whose mean level is within ``top_db``
        of the clip's loudest frame make the group's mean spectrum (the rest,
        silence and padding, would only measure the noise floor). Bins at the
        clip's minimum (the floor) are left as they are.

    Attributes
    ----------
    estimator_ : classifier
        The fitted estimator.
    mean_spectrum_ : ndarray of shape (n_bins,) or None
        With ``center_per_group``, the training groups' average mean spectrum,
        whose shape every normalised group is given.
    classes_ : ndarray of shape (n_classes,)
        Class labels.

    See Also
    --------
    audiosk.features.warp_frequency : The warp applied for each factor.
    audiosk.nets.FrequencyWarp : Warp spectra in training, so the estimator knows warped voices.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from audiosk.features import Flatten
    >>> from audiosk.adaptation import VTLNClassifier
    >>> bins = np.arange(32)
    >>> def voice(peak, scale):  # one spectral peak per class, at peak * scale
    ...     return np.exp(-0.5 * (bins - peak * scale) ** 2)[:, None].repeat(4, axis=1)
    >>> X = np.stack([voice(p, 1.0) for p in (8, 16, 24)])
    >>> model = VTLNClassifier(make_pipeline(Flatten(), LogisticRegression(C=100))).fit(X, [0, 1, 2])
    >>> unheard = np.stack([voice(p, 1.1) for p in (8, 16, 24)])  # formants 10 % higher
    >>> model.select_factors(unheard).tolist(), model.predict(unheard).tolist()
    ([1.1, 1.1, 1.1], [0, 1, 2])
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict_proba"])],
        "factors": ["array-like"],
        "center_per_group": ["boolean"],
        "top_db": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        estimator,
        *,
        factors=(0.85, 0.9, 0.95, 1.0, 1.05, 1.1, 1.15),
        center_per_group=False,
        top_db=30.0,
    ):
        self.estimator = estimator
        self.factors = factors
        self.center_per_group = center_per_group
        self.top_db = top_db

    @property
    def classes_(self):
        """The class labels, those of the fitted ``estimator_``."""
        return self.estimator_.classes_

    def fit(self, X, y, groups: np.ndarray | None = None, **fit_params):
        """Fit the estimator on the spectra (speaker-normalised with ``center_per_group``).

        Parameters
        ----------
        X : array-like of shape (n_clips, n_bins, n_frames)
            Spectra.
        y : array-like of shape (n_clips,)
            Labels.
        groups : array-like of shape (n_clips,), default=None
            Speaker of each clip, for ``center_per_group``; ``None``: all clips
            are one speaker. In a pipeline: ``fit(X, y, vtlnclassifier__groups=...)``.
        **fit_params
            Passed to the estimator's ``fit``.

        Returns
        -------
        self : VTLNClassifier
            The fitted classifier.
        """
        self._validate_params()
        factors = np.asarray(self.factors, dtype=float)
        if factors.ndim != 1 or len(factors) == 0 or not np.all(factors > 0):
            raise ValueError(
                f"factors must be a non-empty list of positive warp factors; got {self.factors!r}."
            )
        X, groups = self._check_spectra(X, groups)
        self.mean_spectrum_ = None
        if self.center_per_group:
            means = self._group_means(X, groups)
            self.mean_spectrum_ = np.mean(list(means.values()), axis=0)
            X = self._shift(X, groups, means)
        self.estimator_ = clone(self.estimator).fit(X, y, **fit_params)
        return self

    def _check_spectra(self, X, groups):
        X = np.asarray(X, dtype=np.float32)
        if X.ndim < 3:
            raise ValueError(
                f"{type(self).__name__} warps spectra (n_clips, n_bins, n_frames); "
                f"got an array of shape {X.shape}. "
                "Put it after the spectrogram step of the pipeline."
            )
        groups = np.zeros(len(X), dtype=int) if groups is None else np.asarray(groups)
        if groups.shape != (len(X),):
            raise ValueError(
                f"groups has shape {groups.shape}; it needs one speaker label per clip ({len(X)},)."
            )
        return X, groups

    def _group_means(self, X, groups) -> dict:
        """Each group's mean spectrum (per bin) over its voiced frames."""
        frames = X.reshape(len(X), -1, *X.shape[-2:]).mean(
            axis=1
        )  # channels averaged: (n, bins, frames)
        level = frames.mean(axis=1)  # (n, frames)
        voiced = level >= level.max(axis=1, keepdims=True) - self.top_db
        means = {}
        for group in np.unique(groups):
            rows = groups == group
            means[group] = (frames[rows] * voiced[rows][:, None, :]).sum(axis=(0, 2)) / voiced[
                rows
            ].sum()
        return means

    def _shift(self, X, groups, means) -> np.ndarray:
        """Give every group the shape of the training speakers' mean spectrum; the floor stays."""
        names, index = np.unique(groups, return_inverse=True)
        offset = np.stack([self.mean_spectrum_ - means[g] for g in names]).astype(np.float32)[index]
        offset -= offset.mean(
            axis=1, keepdims=True
        )  # the colour only: levels are the per-clip scaling's
        offset = offset.reshape(len(X), *([1] * (X.ndim - 3)), -1, 1)
        floor = X.reshape(len(X), -1).min(axis=1).reshape(-1, *([1] * (X.ndim - 1)))
        return np.where(floor < X, np.maximum(X + offset, floor), X)

    def normalize(self, X, groups: np.ndarray | None = None) -> np.ndarray:
        """Return the spectra as the estimator reads them before warping.

        With ``center_per_group``, each group's mean spectrum over its voiced
        frames is replaced by ``mean_spectrum_`` plus a constant (the shift
        averages 0 dB over the bins); otherwise X is returned.

        Parameters
        ----------
        X : array-like of shape (n_clips, n_bins, n_frames)
            Spectra in dB.
        groups : array-like of shape (n_clips,), default=None
            Speaker of each clip; ``None``: all clips are one speaker.

        Returns
        -------
        X_normalized : ndarray of float32, same shape as X
            The spectra, each group shifted with ``center_per_group``.
        """
        check_is_fitted(self)
        return self._normalize(*self._check_spectra(X, groups))

    def _normalize(self, X, groups):
        return self._shift(X, groups, self._group_means(X, groups)) if self.center_per_group else X

    def _adapt(self, X, groups):
        check_is_fitted(self)
        X, groups = self._check_spectra(X, groups)
        X = self._normalize(X, groups)
        factors = np.asarray(self.factors, dtype=float)
        proba = np.stack(
            [self.estimator_.predict_proba(warp_frequency(X, f)) for f in factors]
        )  # (factors, n, classes)
        confidence = proba.max(axis=2)
        best = np.empty(len(X), dtype=int)
        for group in np.unique(groups):
            rows = groups == group
            best[rows] = confidence[:, rows].mean(axis=1).argmax()
        return factors[best], proba[best, np.arange(len(X))]

    def select_factors(self, X, groups: np.ndarray | None = None) -> np.ndarray:
        """Return the warp factor chosen for each clip's group.

        Parameters
        ----------
        X : array-like of shape (n_clips, n_bins, n_frames)
            Spectra.
        groups : array-like of shape (n_clips,), default=None
            Speaker of each clip; ``None``: all clips are one speaker.

        Returns
        -------
        factors : ndarray of shape (n_clips,)
            The factor, among ``factors``, of each clip's group.
        """
        return self._adapt(X, groups)[0]

    def predict_proba(self, X, groups: np.ndarray | None = None) -> np.ndarray:
        """Class probabilities of each clip, warped by its group's factor.

        Parameters
        ----------
        X : array-like of shape (n_clips, n_bins, n_frames)
            Spectra.
        groups : array-like of shape (n_clips,), default=None
            Speaker of each clip; ``None``: all clips are one speaker.

        Returns
        -------
        proba : ndarray of shape (n_clips, n_classes)
            The estimator's probabilities for the warped spectra, columns in
            the order of ``classes_``.
        """
        return self._adapt(X, groups)[1]

    def predict(self, X, groups: np.ndarray | None = None) -> np.ndarray:
        """Class of each clip, warped by its group's factor.

        Parameters
        ----------
        X : array-like of shape (n_clips, n_bins, n_frames)
            Spectra.
        groups : array-like of shape (n_clips,), default=None
            Speaker of each clip; ``None``: all clips are one speaker.

        Returns
        -------
        y : ndarray of shape (n_clips,)
            The most probable class of each clip.
        """
        check_is_fitted(self)
        return self.classes_[self.predict_proba(X, groups).argmax(axis=1)]
