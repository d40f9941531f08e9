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
        self
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
    """Clips that share a source (speaker, track) may fall on both sides of a split."""
