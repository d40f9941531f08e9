"""ResNet and GoogLeNet in plain torch, with torchvision's parameter names.

The modules take spectrogram batches ``(n, bins, frames)`` or images
``(n, channels, H, W)`` of any size (global average pooling before the
classifier). Their parameters are named as in torchvision, so a state dict a
user saved from torchvision (ImageNet weights downloaded by hand) loads with
``weights=PATH``: a 3-channel first convolution is summed to 1 channel for
single-channel input, and the 1000-class head is replaced to fit the data.
``trainable_layers=n`` leaves only the last ``n`` stages and the head trainable
(frozen stages also keep their batch-norm statistics).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence

import torch
from torch import nn

from ..utils._base import AudioskWarning
from ._layers import Dropout

__all__ = ["GoogLeNet", "ResNet"]


class _Frozen(nn.Module):
    """Base: input shaping, pretrained weights, freezing of the first stages."""

    head_name = "fc"  # the linear layer a new head replaces

    def _finish(self, input_shape, n_outputs, weights, trainable_layers, channels_last):
        self.in_dims = len(input_shape)
        self.channels_last = channels_last
        if weights is not None:
            self.load_pretrained(weights)
        if n_outputs is not None:  # the head fits the data
            head = getattr(self, self.head_name)
            setattr(self, self.head_name, nn.Linear(head.in_features, n_outputs))
        self.trainable_layers = trainable_layers
        if trainable_layers is not None:
            stages = self.stages()
            if not 0 <= trainable_layers <= len(stages):
                raise ValueError(
                    f"trainable_layers must be between 0 and {len(stages)} for "
                    f"{type(self).__name__}; got {trainable_layers}."
                )
            frozen = stages[: len(stages) - trainable_layers]
            if weights is None and frozen:
                n_frozen = sum(p.numel() for stage in frozen for p in stage.parameters())
                warnings.warn(
                    f"{type(self).__name__}(trainable_layers={trainable_layers}) without weights "
                    f"freezes {n_frozen:,} randomly initialised parameters: pass weights=PATH "
                    "(pretrained) to fine-tune, or trainable_layers=None to train everything.",
                    AudioskWarning,
                    stacklevel=3,
                )
            self._frozen = list(frozen)  # a plain list: not registered twice in the state dict
            for stage in frozen:
                for p in stage.parameters():
                    p.requires_grad_(False)
            self.train(self.training)  # frozen stages in evaluation mode from the start
        if channels_last:
            self.to(memory_format=torch.channels_last)

    def stages(self) -> list[nn.Module]:
        """List the stages that ``trainable_layers`` counts, first to last (the head excluded).

        Returns
        -------
        list of torch.nn.Module
            The stages; subclasses define them.
        """
        raise NotImplementedError

    def train(self, mode: bool = True):
        """Set training or evaluation mode; frozen stages stay in evaluation mode.

        Parameters
        ----------
        mode : bool, default=True
            Training mode (``False``: evaluation mode).

        Returns
        -------
        self : torch.nn.Module
            The network.
        """
        super().train(mode)
        for stage in getattr(self, "_frozen", []):
            stage.eval()  # frozen stages keep their batch-norm statistics
        return self

    def load_pretrained(self, path: str | os.PathLike) -> None:
        """Load a state dict saved in torchvision's layout (the head is not loaded).

        Parameters
        ----------
        path : str or os.PathLike
            File written by ``torch.save(model.state_dict(), path)``.
        """
        state = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(state, dict):
            raise TypeError(f"'{path}' does not hold a state dict (got {type(state).__name__}).")
        state = {k: v for k, v in state.items() if not k.startswith(("fc.", "aux1.", "aux2."))}
        first = self.first_conv_name() + ".weight"
        own = self.state_dict()
        if first in state and state[first].shape[1] != own[first].shape[1]:
            if (
                own[first].shape[1] == 1
            ):  # RGB filters to one channel: their sum sees grey input alike
                state[first] = state[first].sum(dim=1, keepdim=True)
            else:
                raise ValueError(
                    f"'{path}' has a first convolution for {state[first].shape[1]} channels; the "
                    f"input has {own[first].shape[1]}."
                )
        missing, unexpected = self.load_state_dict(state, strict=False)
        missing = [k for k in missing if not k.startswith("fc.")]
        if missing or unexpected:
            raise ValueError(
                f"'{path}' does not match {type(self).__name__}: missing {missing[:5]}, "
                f"unexpected {unexpected[:5]} (is it the same depth?)."
            )

    def first_conv_name(self) -> str:
        """Name the first convolution, whose input channels ``load_pretrained`` adapts.

        Returns
        -------
        str
            Its name in the state dict, without ``.weight``.

        Raises
        ------
        NotImplementedError
            For a network that defines none (:class:`~audiosk.nets.PANNs`,
            whose checkpoints load without adapting).
        """
        raise NotImplementedError

    def _as_image(self, X):
        X = X.unsqueeze(1) if self.in_dims == 2 else X
        return X.contiguous(memory_format=torch.channels_last) if self.channels_last else X


def _channels(input_shape: Sequence[int]) -> int:
    if len(input_shape) not in (2, 3):
        raise ValueError(
            "Image networks need samples of shape (bins, frames) or (channels, H, W); "
            f"got {tuple(input_shape)}."
        )
    return 1 if len(input_shape) == 2 else int(input_shape[0])


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + identity)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, in_planes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return self.relu(self.bn3(self.conv3(out)) + identity)


_RESNETS: dict[int, tuple[type[BasicBlock] | type[Bottleneck], list[int]]] = {
    18: (BasicBlock, [2, 2, 2, 2]),
    34: (BasicBlock, [3, 4, 6, 3]),
    50: (Bottleneck, [3, 4, 6, 3]),
}


class ResNet(_Frozen):
    """ResNet-18/34/50 (He et al., 2016) with torchvision's parameter names.

    A stem (7x7 convolution, max pooling), four stages of residual blocks
    (basic blocks for depths 18 and 34, bottlenecks for 50), global average
    pooling and a linear head; spectrograms are read as one-channel images.

    Parameters
    ----------
    input_shape : tuple of int
        ``(bins, frames)`` or ``(channels, H, W)``.
    n_outputs : int
        Outputs of the new head.
    depth : {18, 34, 50}, default=18
        Network depth.
    weights : str, os.PathLike or None, default=None
        State dict in torchvision's layout (e.g. ImageNet weights saved from
        ``torchvision.models.resnet18``); its head is replaced.
    trainable_layers : int or None, default=None
        Train only the last n of the 5 stages (stem, layer1 ... layer4) and
        the head; ``None`` trains everything.
    channels_last : bool, default=True
        Keep weights and activations in channels-last (NHWC) layout, which
        oneDNN (CPU) and cuDNN often run faster (benchmarks/bench_deep.py, 2-core
        CPU: GoogLeNet 10.6 -> 7.6 s per epoch, ResNet-18 unchanged).

    See Also
    --------
    GoogLeNet : An Inception network with the same options.
    audiosk.nets.CNN : A small convolutional network to train from scratch.
    audiosk.features.SpectrogramImage : Resize spectra to the images it was pretrained on.

    Examples
    --------
    >>> import torch
    >>> from audiosk.nets import ResNet
    >>> net = ResNet((64, 100), n_outputs=10, depth=18)
    >>> net(torch.zeros(2, 64, 100)).shape
    torch.Size([2, 10])
    >>> all(p.requires_grad for p in net.parameters())  # trainable_layers=None
    True
    """

    def __init__(
        self,
        input_shape,
        n_outputs,
        depth: int = 18,
        weights=None,
        trainable_layers: int | None = None,
        channels_last: bool = True,
    ):
        super().__init__()
        if depth not in _RESNETS:
            raise ValueError(f"ResNet depth must be one of {sorted(_RESNETS)}; got {depth}.")
        block, counts = _RESNETS[depth]
        self.conv1 = nn.Conv2d(_channels(input_shape), 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.in_planes = 64
        self.layer1 = self._layer(block, 64, counts[0], 1)
        self.layer2 = self._layer(block, 128, counts[1], 2)
        self.layer3 = self._layer(block, 256, counts[2], 2)
        self.layer4 = self._layer(block, 512, counts[3], 2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512 * block.expansion, 1000)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        self._finish(input_shape, n_outputs, weights, trainable_layers, channels_last)

    def _layer(self, block, planes, count, stride):
        downsample = None
        if stride != 1 or self.in_planes != planes * block.expansion:
            downsample = nn.Sequential(
                nn.Conv2d(self.in_planes, planes * block.expansion, 1, stride, bias=False),
                nn.BatchNorm2d(planes * block.expansion),
            )
        layers = [block(self.in_planes, planes, stride, downsample)]
        self.in_planes = planes * block.expansion
        layers += [block(self.in_planes, planes) for _ in range(1, count)]
        return nn.Sequential(*layers)

    def stages(self):
        """List the 5 stages that ``trainable_layers`` counts, first to last.

        Returns
        -------
        list of torch.nn.Module
            The stem (``conv1`` and ``bn1``), then ``layer1`` ... ``layer4``.
        """
        return [
            nn.ModuleList([self.conv1, self.bn1]),
            self.layer1,
            self.layer2,
            self.layer3,
            self.layer4,
        ]

    def first_conv_name(self):
        """Name the first convolution, whose input channels ``load_pretrained`` adapts.

        Returns
        -------
        str
            ``"conv1"``.
        """
        return "conv1"

    def forward(self, X):
        """Compute the outputs of a batch of spectrograms or images.

        Parameters
        ----------
        X : torch.Tensor of shape (n, bins, frames) or (n, channels, H, W)
            The batch, of the rank of ``input_shape``; spectrograms get one channel.

        Returns
        -------
        torch.Tensor of shape (n, n_outputs)
            The head's outputs: class logits, or regression values.
        """
        x = self.maxpool(self.relu(self.bn1(self.conv1(self._as_image(X)))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class BasicConv2d(nn.Module):
    def __init__(self, in_channels, out_channels, **kwargs):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x)))


class Inception(nn.Module):
    def __init__(self, in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj):
        super().__init__()
        self.branch1 = BasicConv2d(in_channels, ch1x1, kernel_size=1)
        self.branch2 = nn.Sequential(
            BasicConv2d(in_channels, ch3x3red, kernel_size=1),
            BasicConv2d(ch3x3red, ch3x3, kernel_size=3, padding=1),
        )
        # torchvision (like the released weights) uses a 3x3 convolution in the "5x5" branch
        self.branch3 = nn.Sequential(
            BasicConv2d(in_channels, ch5x5red, kernel_size=1),
            BasicConv2d(ch5x5red, ch5x5, kernel_size=3, padding=1),
        )
        self.branch4 = nn.Sequential(
            nn.MaxPool2d(kernel_size=3, stride=1, padding=1, ceil_mode=True),
            BasicConv2d(in_channels, pool_proj, kernel_size=1),
        )

    def forward(self, x):
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


class GoogLeNet(_Frozen):
    """GoogLeNet / Inception v1 (Szegedy et al., 2015) with torchvision's parameter names.

    No auxiliary classifiers (their weights in a torchvision state dict are
    ignored); dropout 0.2 before the head.

    Parameters
    ----------
    input_shape : tuple of int
        ``(bins, frames)`` or ``(channels, H, W)``.
    n_outputs : int
        Outputs of the new head.
    weights : str, os.PathLike or None, default=None
        State dict in torchvision's layout; its head is replaced.
    trainable_layers : int or None, default=None
        Train only the last n of the 12 stages (conv1, conv2, conv3,
        inception3a ... inception5b) and the head.
    dropout : float, default=0.2
        Dropout before the head.
    channels_last : bool, default=True
        Keep weights and activations in channels-last (NHWC) layout, which
        oneDNN (CPU) and cuDNN often run faster (benchmarks/bench_deep.py, 2-core
        CPU: GoogLeNet 10.6 -> 7.6 s per epoch, ResNet-18 unchanged).

    See Also
    --------
    ResNet : A residual network with the same options.
    audiosk.features.SpectrogramImage : Resize spectra to the images it was pretrained on.

    Examples
    --------
    >>> import torch
    >>> from audiosk.nets import GoogLeNet
    >>> GoogLeNet((3, 64, 64), n_outputs=5)(torch.zeros(2, 3, 64, 64)).shape
    torch.Size([2, 5])
    """

    def __init__(
        self,
        input_shape,
        n_outputs,
        weights=None,
        trainable_layers: int | None = None,
        dropout: float = 0.2,
        channels_last: bool = True,
    ):
        super().__init__()
        self.conv1 = BasicConv2d(_channels(input_shape), 64, kernel_size=7, stride=2, padding=3)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = BasicConv2d(64, 64, kernel_size=1)
        self.conv3 = BasicConv2d(64, 192, kernel_size=3, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception3a = Inception(192, 64, 96, 128, 16, 32, 32)
        self.inception3b = Inception(256, 128, 128, 192, 32, 96, 64)
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception4a = Inception(480, 192, 96, 208, 16, 48, 64)
        self.inception4b = Inception(512, 160, 112, 224, 24, 64, 64)
        self.inception4c = Inception(512, 128, 128, 256, 24, 64, 64)
        self.inception4d = Inception(512, 112, 144, 288, 32, 64, 64)
        self.inception4e = Inception(528, 256, 160, 320, 32, 128, 128)
        self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)
        self.inception5a = Inception(832, 256, 160, 320, 32, 128, 128)
        self.inception5b = Inception(832, 384, 192, 384, 48, 128, 128)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.dropout = Dropout(dropout)
        self.fc = nn.Linear(1024, 1000)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, mean=0.0, std=0.01, a=-2, b=2)
        self._finish(input_shape, n_outputs, weights, trainable_layers, channels_last)

    def stages(self):
        """List the 12 stages that ``trainable_layers`` counts, first to last.

        Returns
        -------
        list of torch.nn.Module
            ``conv1``, ``conv2``, ``conv3``, then ``inception3a`` ... ``inception5b``.
        """
        names = [
            "conv1",
            "conv2",
            "conv3",
            "inception3a",
            "inception3b",
            "inception4a",
            "inception4b",
            "inception4c",
            "inception4d",
            "inception4e",
            "inception5a",
            "inception5b",
        ]
        return [getattr(self, n) for n in names]

    def first_conv_name(self):
        """Name the first convolution, whose input channels ``load_pretrained`` adapts.

        Returns
        -------
        str
            ``"conv1.conv"``.
        """
        return "conv1.conv"

    def forward(self, X):
        """Compute the outputs of a batch of spectrograms or images.

        Parameters
        ----------
        X : torch.Tensor of shape (n, bins, frames) or (n, channels, H, W)
            The batch, of the rank of ``input_shape``; spectrograms get one channel.

        Returns
        -------
        torch.Tensor of shape (n, n_outputs)
            The head's outputs: class logits, or regression values.
        """
        x = self.maxpool1(self.conv1(self._as_image(X)))
        x = self.maxpool2(self.conv3(self.conv2(x)))
        x = self.maxpool3(self.inception3b(self.inception3a(x)))
        for block in (self.inception4a, self.inception4b, self.inception4c, self.inception4d):
            x = block(x)
        x = self.maxpool4(self.inception4e(x))
        x = self.inception5b(self.inception5a(x))
        return self.fc(self.dropout(torch.flatten(self.avgpool(x), 1)))
