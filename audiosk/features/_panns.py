"""PANNsEmbedding: clip embeddings (and AudioSet tags) of pretrained PANNs as a transformer."""

from __future__ import annotations

import os
from functools import lru_cache
from importlib import resources
from numbers import Integral, Real
from typing import Any, Self

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..utils._parallel import parallel_map
from ..utils._sklearn_compat import Interval, StrOptions
from ..utils._waveforms import check_audio
from ..utils._windows import window_starts

__all__ = ["PANNsEmbedding"]


@lru_cache(maxsize=1)
def audioset_classes() -> tuple[str, ...]:
    """Return the 527 AudioSet class names, in the order of the PANNs outputs."""
    text = resources.files("audiosk.features").joinpath("data/audioset_classes.txt").read_text()
    return tuple(line for line in text.splitlines() if line and not line.startswith("#"))


class PANNsEmbedding(TransformerMixin, BaseEstimator):
    """Waveforms to the clip embeddings of a pretrained PANNs network (Kong et al., 2020).

    Each clip is resampled to the network's 32 kHz (Fourier interpolation, as ``scipy.signal.resample``),
    turned into its log-Mel spectrogram and passed through the network in
    eval mode; the output is the ``fc1`` embedding the released models put
    before their AudioSet head (2048 values for CNN14, 512 for CNN10),
    optionally with the 527 AudioSet tag probabilities. Clips of equal length
    are batched together; clips of other lengths are never padded (padding
    would change the max and mean pooling over time). Equal to the
    reference implementation to 1e-6 relative (checked with its code,
    which is not part of audiosk).

    Long recordings can be described by windows instead: with
    ``window_seconds``, each clip is cut into windows of that length every
    ``hop_seconds`` (the last window ends at the clip's end, so no audio is
    left out but a remainder under 1 % of a window; a clip shorter than one
    window is embedded whole, unpadded), each window is
    embedded on its own, and ``transform`` aggregates the windows of each
    clip (``aggregate``) into one row. :meth:`transform_windows` returns the
    windows themselves with their start times.

    Parameters
    ----------
    weights : str or os.PathLike[str]
        A released checkpoint, ``Cnn14_mAP=0.431.pth`` or ``Cnn10_mAP=0.380.pth``
        (or a ``.pth`` file with their ``"model"`` state dict), read with
        ``torch.load(weights_only=True)``;
        :func:`~audiosk.datasets.fetch_panns_weights` downloads them.
    arch : {"cnn14", "cnn10"}, default="cnn14"
        The architecture the checkpoint is for.
    output : {"embedding", "tags", "both"}, default="embedding"
        The embedding, the probabilities of the 527 AudioSet classes (columns
        named after them, ``audioset_Speech``, ...), or both side by side
        (embedding first).
    sr : int or None, default=None
        Sample rate of the waveforms; ``None`` takes the rate they carry.
    window_seconds : float or None, default=None
        Length of the windows a clip is described by; ``None`` embeds each
        clip whole.
    hop_seconds : float or None, default=None
        Time between the starts of two windows (``window_seconds`` when
        None: windows side by side); at most ``window_seconds``, so that no
        audio is skipped.
    aggregate : {"mean", "max"}, default="mean"
        How ``transform`` combines the windows of a clip, column by column
        (``"max"``: a tag is as probable as in its most probable window).
    batch_size : int, default=16
        Clips (or windows) per forward pass.
    device : str, default="auto"
        Torch device; ``"auto"`` is CUDA when available, else the CPU.
    verbose : int, default=0
        Progress bar over batches.

    Attributes
    ----------
    module_ : audiosk.nets.PANNs
        The network with the checkpoint loaded, in eval mode (on the CPU
        between calls; a pickle of the step includes its weights).
    n_features_out_ : int
        Width of the output.
    sample_rate_ : int
        Rate of the waveforms seen at fit (carried by them, or ``sr``); after
        fit, waveforms carrying another rate are refused and plain arrays are
        taken at this rate (each clip is resampled from it to 32 kHz).

    See Also
    --------
    audiosk.nets.PANNs : The network, which fine-tunes through
        ``NeuralClassifier("panns", module__weights=...)``.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.features import PANNsEmbedding
    >>> from audiosk.containers import Waveforms
    >>> X = Waveforms(np.zeros((2, 16000), dtype=np.float32), sr=16000)
    >>> step = PANNsEmbedding("Cnn14_mAP=0.431.pth")  # doctest: +SKIP
    >>> step.fit_transform(X).shape  # doctest: +SKIP
    (2, 2048)
    >>> windows = PANNsEmbedding("Cnn14_mAP=0.431.pth", window_seconds=0.5)  # doctest: +SKIP
    >>> features, clip, start = windows.fit(X).transform_windows(X)  # doctest: +SKIP
    >>> features.shape, clip.tolist(), start.tolist()  # doctest: +SKIP
    ((4, 2048), [0, 0, 1, 1], [0.0, 0.5, 0.0, 0.5])
    """

    _parameter_constraints: dict[str, Any] = {
        "weights": [str, os.PathLike],
        "arch": [StrOptions({"cnn14", "cnn10"})],
        "output": [StrOptions({"embedding", "tags", "both"})],
        "sr": [Interval(Integral, 1, None, closed="left"), None],
        "window_seconds": [Interval(Real, 0, None, closed="neither"), None],
        "hop_seconds": [Interval(Real, 0, None, closed="neither"), None],
        "aggregate": [StrOptions({"mean", "max"})],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "device": [str],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        weights: str | os.PathLike[str],
        *,
        arch: str = "cnn14",
        output: str = "embedding",
        sr: int | None = None,
        window_seconds: float | None = None,
        hop_seconds: float | None = None,
        aggregate: str = "mean",
        batch_size: int = 16,
        device: str = "auto",
        verbose: int = 0,
    ) -> None:
        self.weights = weights
        self.arch = arch
        self.output = output
        self.sr = sr
        self.window_seconds = window_seconds
        self.hop_seconds = hop_seconds
        self.aggregate = aggregate
        self.batch_size = batch_size
        self.device = device
        self.verbose = verbose

    def fit(self, X: Any, y: Any = None) -> Self:
        """Load the checkpoint (nothing is learned from X).

        Parameters
        ----------
        X : list of ndarray of shape (n_samples_i,) or ndarray of shape (n_clips, n_samples)
            Waveforms; checked.
        y : None
            Ignored.

        Returns
        -------
        self : PANNsEmbedding
            The step, with the network loaded as ``module_``.
        """
        from ..nets import PANNs

        self._validate_params()
        self._check_windows()
        check_audio(self, X, reset=True)
        if not os.path.isfile(self.weights):
            raise FileNotFoundError(
                f"PANNsEmbedding: weights file '{self.weights}' not found. Download the "
                f"{self.arch.upper()} checkpoint with audiosk.datasets.fetch_panns_weights"
                f"(arch='{self.arch}') or by hand, and pass its path."
            )
        self.module_ = PANNs(arch=self.arch, weights=self.weights).eval()
        width = self.module_.embedding_size
        self.n_features_out_ = {"embedding": width, "tags": 527, "both": width + 527}[self.output]
        return self

    def _check_windows(self) -> None:
        if self.window_seconds is None and self.hop_seconds is not None:
            raise ValueError(
                f"PANNsEmbedding: hop_seconds={self.hop_seconds} needs window_seconds (the "
                "length of the windows); set window_seconds, or leave both None to embed "
                "each clip whole."
            )
        if (
            self.window_seconds is not None
            and self.hop_seconds is not None
            and self.hop_seconds > self.window_seconds
        ):
            raise ValueError(
                f"PANNsEmbedding: hop_seconds={self.hop_seconds} is longer than "
                f"window_seconds={self.window_seconds}, so the audio between windows would "
                "be skipped. Use a hop of at most window_seconds."
            )

    def transform(self, X: Any) -> np.ndarray:
        """Embed every clip (aggregating its windows with ``window_seconds``).

        Parameters
        ----------
        X : list of ndarray of shape (n_samples_i,) or ndarray of shape (n_clips, n_samples)
            Waveforms of any lengths (each at least about one second, or one
            window), at ``sample_rate_``.

        Returns
        -------
        features : ndarray of shape (n_clips, n_features_out), float32
            With ``window_seconds``, the mean or maximum (``aggregate``) of
            each column over the clip's windows.
        """
        features, clip, _ = self.transform_windows(X)
        if self.window_seconds is None:
            return features
        n_clips = int(clip[-1]) + 1  # every clip has at least one window
        if self.aggregate == "max":
            out = np.full((n_clips, features.shape[1]), -np.inf, dtype=np.float32)
            np.maximum.at(out, clip, features)
            return out
        sums = np.zeros((n_clips, features.shape[1]), dtype=np.float64)
        np.add.at(sums, clip, features)
        means: np.ndarray = (sums / np.bincount(clip)[:, None]).astype(np.float32)
        return means

    def transform_windows(self, X: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Embed every window of every clip, with where it starts.

        Parameters
        ----------
        X : list of ndarray of shape (n_samples_i,) or ndarray of shape (n_clips, n_samples)
            Waveforms of any lengths, at ``sample_rate_``.

        Returns
        -------
        features : ndarray of shape (n_windows, n_features_out), float32
            One row per window (per clip without ``window_seconds``), the
            clips in order and each clip's windows in time order.
        clip : ndarray of shape (n_windows,), int64
            The clip each window belongs to (its row in ``X``).
        start : ndarray of shape (n_windows,), float64
            Start of each window in its clip, in seconds.
        """
        check_is_fitted(self, "module_")
        self._validate_params()
        self._check_windows()
        X, sr = check_audio(self, X, reset=False)
        assert sr is not None  # check_audio raised when the rate is unknown
        clips = list(X)
        if len(clips) == 0:
            raise ValueError("PANNsEmbedding got no clips.")
        clip, start, length = [], [], []
        for i, x in enumerate(clips):
            starts, size = self._window_starts(len(x), sr)
            clip += [i] * len(starts)
            start += starts
            length += [size] * len(starts)
        pieces = [clips[i][s : s + n] for i, s, n in zip(clip, start, length, strict=True)]
        features = self._embed(pieces, sr)
        return features, np.asarray(clip, dtype=np.int64), np.asarray(start) / sr

    def _window_starts(self, n_samples: int, sr: int) -> tuple[list[int], int]:
        """Return the windows' starts and length in samples; the last window ends at the end."""
        if self.window_seconds is None:
            return [0], n_samples
        size = max(1, round(self.window_seconds * sr))
        if n_samples <= size:
            return [0], n_samples
        hop = max(1, round((self.hop_seconds or self.window_seconds) * sr))
        return window_starts(n_samples, size, hop).tolist(), size

    def _embed(self, clips: list[np.ndarray], sr: int) -> np.ndarray:
        """Run the network on each clip, batching clips of one length together."""
        import torch

        from ..utils._dsp import PANNS_SR, auto_device, resample

        by_length: dict[int, list[int]] = {}
        for i, clip in enumerate(clips):
            by_length.setdefault(len(clip), []).append(i)
        batches = [
            rows[start : start + self.batch_size]
            for rows in by_length.values()
            for start in range(0, len(rows), self.batch_size)
        ]
        device = auto_device() if self.device == "auto" else self.device
        model = self.module_.to(device)

        def run(rows: list[int]) -> np.ndarray:
            wave = torch.from_numpy(np.stack([clips[i] for i in rows]).astype(np.float32))
            with torch.no_grad():
                wave = resample(wave.to(device), sr, PANNS_SR)
                embedding = model.embed(wave)
                parts = []
                if self.output in ("embedding", "both"):
                    parts.append(embedding)
                if self.output in ("tags", "both"):
                    parts.append(torch.sigmoid(model.fc_audioset(embedding)))
            return torch.cat(parts, dim=1).cpu().numpy()

        try:
            results = parallel_map(run, batches, verbose=self.verbose, desc="PANNs embeddings")
        finally:
            self.module_.to("cpu")
        out = np.empty((len(clips), self.n_features_out_), dtype=np.float32)
        for rows, values in zip(batches, results, strict=True):
            out[rows] = values
        return out

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Get the output column names: ``panns_<arch>_<i>``, then ``audioset_<class name>``.

        Parameters
        ----------
        input_features : None
            Ignored.

        Returns
        -------
        names : ndarray of str of shape (n_features_out,)
            One name per output column, in ``transform``'s order.
        """
        check_is_fitted(self, "module_")
        names = []
        if self.output in ("embedding", "both"):
            names += [f"panns_{self.arch}_{i}" for i in range(self.module_.embedding_size)]
        if self.output in ("tags", "both"):
            names += [f"audioset_{name}" for name in audioset_classes()]
        return np.asarray(names, dtype=object)
