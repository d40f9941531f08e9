"""Mixins and warnings shared by audiosk's steps."""

from typing import Any, Self


class ArrayOutputMixin:
    """For steps whose output has no table form: waveforms, spectra, images.

    ``set_output`` accepts a pipeline's configuration (so
    ``Pipeline.set_output(transform="pandas")`` works around them) and leaves
    their output as it is.
    """

    def set_output(self, *, transform: str | None = None) -> Self:
        """Accept a pipeline's output configuration; waveforms and 3-D/4-D results stay arrays.

        Parameters
        ----------
        transform : {"default", "pandas", "polars"} or None
            Ignored.

        Returns
        -------
        self : object
            The step, unchanged.
        """
        return self


class StatelessArrayMixin(ArrayOutputMixin):
    """For steps with 3-D/4-D float32 output that need no fit."""

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()  # type: ignore[misc]  # from the estimator mixed in
        tags.requires_fit = False
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


class AudioskWarning(UserWarning):
    """Base of the warnings audiosk itself raises (the test suite turns them into errors)."""


class GroupLeakageWarning(AudioskWarning):
    """Clips that share a source (speaker, track) may fall on both sides of a split.

    Scores measured on such a split are inflated: the model has heard the
    test speaker or track. It is emitted when ``X`` carries groups (the
    loaders' file names) but none are passed, or when groups are passed to a
    splitter that ignores them.

    See Also
    --------
    audiosk.model_selection.group_aware_cv : Splits that keep each group in one fold.
    audiosk.model_selection.compare : Warns the same way before cross-validating.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from sklearn.model_selection import KFold
    >>> from audiosk.model_selection import GroupLeakageWarning, group_aware_cv
    >>> X, y, groups = np.zeros((4, 1)), [0, 1, 0, 1], ["a", "a", "b", "b"]
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     splits = group_aware_cv(KFold(2), X, y, groups, classifier=True)
    >>> caught[0].category is GroupLeakageWarning
    True
    """
