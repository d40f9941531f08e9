"""PANNs CNN10 and CNN14 (Kong et al., 2020) in plain torch, loading the released AudioSet checkpoints.

The networks take waveforms ``(n, n_samples)``; the log-Mel front end (32 kHz,
1024-point Hann STFT, hop 320, 64 Mel bands from 50 Hz to 14 kHz) is computed
in the module, so one forward pass maps audio to AudioSet logits. Parameters
are named as in the released checkpoints (``conv_block1.conv1.weight``, ...,
``fc1``, ``fc_audioset``): their ``"model"`` state dict loads with
``weights=PATH``. Input at another rate is resampled by Fourier interpolation (``scipy.signal.resample``).
"""

from __future__ import annotations

import os

import librosa
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..utils._dsp import FRONT_END, PANNS_SR, resample
from ._layers import batch_norm, dropout, masked_amax, masked_mean, time_mask, zero_padding
from ._vision import _Frozen

__all__ = ["PANNS_SR", "PANNs", "resample", "verify_panns_checkpoint"]

#: Channels of the convolution blocks, by architecture.
ARCHITECTURES = {"cnn10": (64, 128, 256, 512), "cnn14": (64, 128, 256, 512, 1024, 2048)}
#: AudioSet's classes: the width of the released head.
N_AUDIOSET_CLASSES = 527


class LogMel(nn.Module):
    """Power STFT, Mel filter bank and decibels, as ``librosa.feature.melspectrogram`` + ``power_to_db``.

    Parameters
    ----------
    sr : int, default=32000
        Sample rate of the input.
    n_fft, hop_length, n_mels, fmin, fmax
        As in :func:`librosa.feature.melspectrogram` (Hann window, centred
        frames, reflect padding, Slaney Mel scale and normalisation).

    Examples
    --------
    >>> import torch
    >>> from audiosk.nets._panns import LogMel
    >>> LogMel()(torch.zeros(1, 32000)).shape  # (n, frames, n_mels)
    torch.Size([1, 101, 64])
    """

    window: torch.Tensor
    mel_basis: torch.Tensor

    def __init__(self, sr=PANNS_SR, n_fft=1024, hop_length=320, n_mels=64, fmin=50.0, fmax=14000.0):
        super().__init__()
        self.n_fft, self.hop_length = n_fft, hop_length
        basis = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax)
        # buffers, not parameters: fixed by the settings and kept out of the state dict
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)
        self.register_buffer("mel_basis", torch.from_numpy(basis.T.copy()), persistent=False)

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        spec = torch.stft(
            wave,
            self.n_fft,
            self.hop_length,
            window=self.window,
            center=True,
            pad_mode="reflect",
            return_complex=True,
        )
        power = spec.real.square() + spec.imag.square()  # (n, bins, frames)
        mel = power.transpose(1, 2) @ self.mel_basis  # (n, frames, n_mels)
        return 10.0 * torch.log10(mel.clamp(min=1e-10))


class ConvBlock(nn.Module):
    """Two 3x3 convolutions with batch norm and ReLU, then average pooling."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)

    def forward(self, x, pool, mask=None):
        """Block output of ``x`` ``(n, C, frames, bins)``; ``mask`` ``(n, frames)``: valid frames."""
        x = F.relu(batch_norm(self.bn1, self.conv1(zero_padding(x, mask, 2)), mask, 2))
        x = F.relu(batch_norm(self.bn2, self.conv2(zero_padding(x, mask, 2)), mask, 2))
        return F.avg_pool2d(x, pool) if pool != (1, 1) else x


class PANNs(_Frozen):
    """PANNs CNN10 / CNN14: waveforms to AudioSet logits, or to a new head for fine-tuning.

    The module resamples the waveforms to 32 kHz and computes their log-Mel
    spectrograms itself; convolution blocks follow, pooled over frequency
    and then over time (max plus mean), and ``fc1`` gives the clip
    embedding (:meth:`embed`) that the head reads.

    Parameters
    ----------
    input_shape : tuple of int or None, default=None
        ``(n_samples,)``: the net takes waveforms. Checked, not needed.
    n_outputs : int or None, default=None
        Outputs of a new head replacing AudioSet's 527 (``None`` keeps it).
    arch : {"cnn14", "cnn10"}, default="cnn14"
        CNN14 (6 blocks, 2048-d embedding, 81 M parameters) or CNN10
        (4 blocks, 512-d, 5 M).
    weights : str, os.PathLike or None, default=None
        A released checkpoint (``Cnn14_mAP=0.431.pth``, ``Cnn10_mAP=0.380.pth``
        or a file with their ``"model"`` state dict), loaded with
        ``torch.load(weights_only=True)``; see
        :func:`~audiosk.datasets.fetch_panns_weights`.
    trainable_layers : int or None, default=None
        Train only the last n stages (the convolution blocks, then ``fc1``)
        and the head; ``None`` trains everything. Frozen stages keep their
        batch-norm statistics.
    sr : int, default=32000
        Sample rate of the input; other rates are resampled to 32 kHz with
        Fourier interpolation (as ``scipy.signal.resample``).

    Attributes
    ----------
    embedding_size : int
        Width of :meth:`embed`'s output (2048 or 512).

    See Also
    --------
    audiosk.features.PANNsEmbedding : Its embeddings or tags as a pipeline step.
    audiosk.datasets.fetch_panns_weights : Download the released checkpoints.
    audiosk.nets.NeuralClassifier : Fine-tunes it on waveforms (``module="panns"``).

    Examples
    --------
    >>> import torch
    >>> from audiosk.nets import PANNs
    >>> net = PANNs(n_outputs=3, arch="cnn10").eval()  # weights=PATH loads a checkpoint
    >>> net(torch.zeros(2, 32000)).shape
    torch.Size([2, 3])
    >>> net.embed(torch.zeros(2, 32000)).shape
    torch.Size([2, 512])
    """

    head_name = "fc_audioset"

    def __init__(
        self,
        input_shape=None,
        n_outputs: int | None = None,
        arch: str = "cnn14",
        weights: str | os.PathLike | None = None,
        trainable_layers: int | None = None,
        sr: int = PANNS_SR,
    ):
        super().__init__()
        if arch not in ARCHITECTURES:
            raise ValueError(f"PANNs arch must be one of {sorted(ARCHITECTURES)}; got {arch!r}.")
        if input_shape is not None and len(input_shape) != 1:
            raise ValueError(
                "PANNs take waveforms of shape (n_samples, n_samples_per_clip); got samples of "
                f"shape {tuple(input_shape)}. Give it the waveforms (padded to one length), "
                "not spectrograms."
            )
        if not (isinstance(sr, (int, np.integer)) and sr > 0):
            raise ValueError(f"PANNs sr must be a positive integer (Hz); got {sr!r}.")
        self.arch, self.sr = arch, int(sr)
        widths = ARCHITECTURES[arch]
        self.front_end = LogMel(PANNS_SR, **FRONT_END)
        self.bn0 = nn.BatchNorm2d(int(FRONT_END["n_mels"]))
        for i, (c_in, c_out) in enumerate(zip((1, *widths[:-1]), widths, strict=True), 1):
            setattr(self, f"conv_block{i}", ConvBlock(c_in, c_out))
        self.embedding_size = widths[-1]
        self.fc1 = nn.Linear(widths[-1], widths[-1])
        self.fc_audioset = nn.Linear(widths[-1], N_AUDIOSET_CLASSES)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
        self._finish(input_shape or (None,), n_outputs, weights, trainable_layers, False)

    def blocks(self) -> list[ConvBlock]:
        """List the convolution blocks, first to last.

        Returns
        -------
        list of ConvBlock
            ``conv_block1`` onwards: 6 for CNN14, 4 for CNN10.
        """
        return [
            getattr(self, f"conv_block{i}") for i in range(1, len(ARCHITECTURES[self.arch]) + 1)
        ]

    def stages(self):
        """List the stages that ``trainable_layers`` counts, first to last.

        Returns
        -------
        list of torch.nn.Module
            The first block with the input batch norm ``bn0``, the other
            blocks, then ``fc1``.
        """
        first, *rest = self.blocks()
        return [nn.ModuleList([self.bn0, first]), *rest, self.fc1]

    @property
    def min_samples(self) -> int:
        """Fewest input samples (at ``sr``) the pooling accepts: one frame after the last pool."""
        n_pools = len(ARCHITECTURES[self.arch]) - (1 if self.arch == "cnn14" else 0)
        frames = 2**n_pools
        at_32k = (frames - 1) * FRONT_END["hop_length"]
        return int(np.ceil(at_32k * self.sr / PANNS_SR)) + 1

    @property
    def min_length(self) -> int:
        """Fewest samples a clip needs (``min_samples``), as the other modules name it."""
        return self.min_samples

    def load_pretrained(self, path: str | os.PathLike) -> None:
        """Load a released checkpoint (its ``"model"`` state dict, or that dict itself).

        The file is checked by ``verify_panns_checkpoint`` against this
        module's parameters: the front end's stored filters (a checkpoint of
        another rate or Mel setting is refused; they are not loaded, being
        fixed by the settings), every key and shape, and finite values.

        Parameters
        ----------
        path : str or os.PathLike
            The ``.pth`` file.
        """
        own = {name: tuple(value.shape) for name, value in self.state_dict().items()}
        self.load_state_dict(verify_panns_checkpoint(path, self.arch, expected=own))

    def embed(self, wave: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Clip embeddings: ReLU of ``fc1`` on max + mean pooled block outputs.

        Parameters
        ----------
        wave : torch.Tensor of shape (n, n_samples)
            Waveforms at ``sr``.
        lengths : torch.Tensor of shape (n,) or None, default=None
            Valid samples of each row, for clips of different lengths padded
            into one batch: each clip is resampled and turned into a log-Mel
            spectrogram on its own, and every later step counts its valid
            frames only, so its embedding does not depend on the batch.

        Returns
        -------
        embedding : torch.Tensor of shape (n, embedding_size)
            One non-negative embedding per clip.
        """
        if wave.dim() != 2:
            raise ValueError(f"PANNs take waveforms (n, n_samples); got shape {tuple(wave.shape)}.")
        shortest = wave.shape[1] if lengths is None else int(lengths.min())
        if shortest < self.min_samples:
            raise ValueError(
                f"PANNs {self.arch.upper()} needs clips of at least {self.min_samples} samples at "
                f"{self.sr} Hz; got {shortest}. Pad them (PadTrim(duration=1.0))."
            )
        if lengths is None:
            x, mask = self.front_end(resample(wave, self.sr, PANNS_SR)), None
        else:  # each clip alone: the STFT pads each clip's own ends
            mels = [
                self.front_end(resample(w[None, :n], self.sr, PANNS_SR))[0]
                for w, n in zip(wave, lengths.tolist(), strict=True)
            ]
            frames = torch.tensor([len(m) for m in mels], device=wave.device)
            x = torch.nn.utils.rnn.pad_sequence(mels, batch_first=True)
            mask = time_mask(frames, x.shape[1])
        x = x.unsqueeze(1)  # (n, 1, frames, n_mels)
        x = batch_norm(self.bn0, x.transpose(1, 3), mask, 2).transpose(1, 3)  # each Mel band
        blocks = self.blocks()
        for i, block in enumerate(blocks):
            pool = (1, 1) if self.arch == "cnn14" and i == len(blocks) - 1 else (2, 2)
            x = dropout(block(x, pool, mask), 0.2, self.training)
            if mask is not None and pool != (1, 1):
                frames = torch.div(frames, 2, rounding_mode="floor")
                mask = time_mask(frames, x.shape[2])
        x = x.mean(dim=3)  # over frequency: (n, channels, frames)
        x = masked_amax(x, mask) + masked_mean(x, mask)  # over the valid frames
        x = dropout(x, 0.5, self.training)
        return F.relu(self.fc1(x))

    def forward(self, wave: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Compute the head's logits (AudioSet's 527 tags, or ``n_outputs``).

        Parameters
        ----------
        wave : torch.Tensor of shape (n, n_samples)
            Waveforms at ``sr``.
        lengths : torch.Tensor of shape (n,) or None, default=None
            Valid samples of each row, as in :meth:`embed`.

        Returns
        -------
        torch.Tensor of shape (n, n_outputs)
            The logits, 527 columns when the AudioSet head is kept.
        """
        return self.fc_audioset(dropout(self.embed(wave, lengths), 0.5, self.training))


def verify_panns_checkpoint(
    path: str | os.PathLike, arch: str, *, expected: dict[str, tuple[int, ...]] | None = None
) -> dict[str, torch.Tensor]:
    """Check that a file is a released PANNs checkpoint of ``arch``; return its parameters.

    The file must load with ``torch.load(weights_only=True)`` (nothing in it
    runs code), hold a state dict (or a ``"model"`` entry with one) whose
    keys and shapes are those of the architecture, with finite values; its
    front end (the STFT kernel ``spectrogram_extractor.stft.conv_real.weight``
    and the Mel filters ``logmel_extractor.melW``), where present, must be
    the 32 kHz release's. Used before a download is recorded and before
    weights are loaded.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.pth`` file.
    arch : {"cnn14", "cnn10"}
        The architecture it must fit.
    expected : dict of str to tuple of int, or None, default=None
        Parameter names and shapes to match; None: those of ``PANNs(arch=arch)``.

    Returns
    -------
    state : dict of str to torch.Tensor
        The parameters, without the front end's fixed filters.

    Raises
    ------
    ValueError
        Naming the file and what is wrong with it.
    TypeError
        When the file holds something other than a state dict.

    Examples
    --------
    >>> import tempfile, os, torch
    >>> from audiosk.nets._panns import PANNs, verify_panns_checkpoint
    >>> path = os.path.join(tempfile.mkdtemp(), "cnn10.pth")
    >>> torch.save({"model": PANNs(arch="cnn10").state_dict()}, path)
    >>> state = verify_panns_checkpoint(path, "cnn10")
    >>> tuple(state["fc_audioset.weight"].shape)
    (527, 512)
    """
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a web page, a JSON error body, a cut-off download, ...
        raise ValueError(
            f"'{path}' is not a checkpoint torch can load safely (weights_only=True): "
            f"{type(exc).__name__}: {str(exc)[:200]}"
        ) from None
    state = checkpoint.get("model", checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise TypeError(f"'{path}' holds no PANNs checkpoint (a dict with a 'model' entry).")
    state = dict(state)
    n_fft = int(FRONT_END["n_fft"])
    kernel = state.get("spectrogram_extractor.stft.conv_real.weight")
    mel = state.get("logmel_extractor.melW")
    basis = LogMel(PANNS_SR, **FRONT_END).mel_basis
    if (kernel is not None and tuple(kernel.shape) != (n_fft // 2 + 1, 1, n_fft)) or (
        mel is not None
        and (mel.shape != basis.shape or not torch.allclose(mel.float(), basis, atol=1e-6))
    ):
        shapes = {
            k: tuple(v.shape)
            for k, v in (("STFT kernel", kernel), ("Mel filters", mel))
            if v is not None
        }
        raise ValueError(
            f"'{path}' was trained with another front end ({shapes}); audiosk's PANNs are the "
            f"32 kHz release ({n_fft}-point STFT, 64 Mel bands, 50-14000 Hz), not the 16 kHz one."
        )
    for key in [k for k in state if k.startswith(("spectrogram_extractor.", "logmel_extractor."))]:
        del state[key]
    if expected is None:
        with torch.device("meta"):  # shapes only: nothing is allocated
            expected = {k: tuple(v.shape) for k, v in PANNs(arch=arch).state_dict().items()}
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    resized = [k for k in expected if k in state and tuple(state[k].shape) != expected[k]]
    if missing or unexpected or resized:
        raise ValueError(
            f"'{path}' does not match PANNs arch={arch!r}: missing {missing[:5]}, "
            f"unexpected {unexpected[:5]}, other shapes {resized[:5]} (is it the "
            f"{arch.upper()} checkpoint?)."
        )
    broken = [k for k, v in state.items() if v.is_floating_point() and not torch.isfinite(v).all()]
    if broken:
        raise ValueError(
            f"'{path}' holds NaN or infinite values in {broken[:5]}; the file is damaged: "
            "download it again."
        )
    return state
