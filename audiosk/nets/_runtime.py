"""Process-level runtime of the neural estimators: torch's threads, global generators, devices.

torch keeps its intra-op thread count and its global random generators per
process; the nets set them only around the work that needs them and restore
them after. The device a net names is checked here before any training.
"""

from __future__ import annotations

import contextlib
import os
import threading

import numpy as np
import torch

from ..utils._dsp import auto_device
from ..utils._sklearn_compat import InvalidParameterError
from ._layers import drawing_from, draws_from_net

__all__ = ["resolve_device", "torch_threads"]


class _TorchThreads:
    """torch's intra-op thread count, set around work and restored when the last user ends.

    The count is process-global in torch: nets running at once in threads of
    one process share it (the last one to start sets it).
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._users = 0
        self._before = None

    @contextlib.contextmanager
    def __call__(self, n_threads):
        if n_threads is None:
            yield
            return
        with self._lock:
            if self._users == 0:
                self._before = torch.get_num_threads()
            self._users += 1
            torch.set_num_threads((os.cpu_count() or 1) if n_threads == -1 else n_threads)
        try:
            yield
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0:
                    torch.set_num_threads(self._before)


torch_threads = _TorchThreads()

#: torch's global random generator is one per process: code that draws from it
#: (module initialisation, dropout) runs under this lock, seeded from the net's own generator.
_GLOBAL_RNG_LOCK = threading.RLock()


@contextlib.contextmanager
def _global_rng_from(generator: torch.Generator, device):
    """Run a block on torch's global generators seeded from ``generator``, restored after."""
    seed = int(torch.randint(0, 2**62, (1,), generator=generator))
    cuda = torch.device(device).type == "cuda"
    devices = range(torch.cuda.device_count()) if cuda else range(0)
    with _GLOBAL_RNG_LOCK:
        cpu_state = torch.default_generator.get_state()
        cuda_states = [torch.cuda.get_rng_state(d) for d in devices]
        torch.default_generator.manual_seed(seed)  # torch.manual_seed also queues CUDA seeding
        if cuda:
            torch.cuda.manual_seed_all(seed)
        try:
            yield
        finally:
            torch.default_generator.set_state(cpu_state)
            for d, state in zip(devices, cuda_states, strict=True):
                torch.cuda.set_rng_state(state, d)


def resolve_device(device):
    """Return the device ``device`` names here ("auto": CUDA when available); refuse others.

    Examples
    --------
    >>> from audiosk.nets._runtime import resolve_device
    >>> resolve_device("cpu")
    'cpu'
    """
    if isinstance(device, str) and device == "auto":
        return auto_device()
    try:
        kind = torch.device(device).type
    except (RuntimeError, TypeError):
        raise InvalidParameterError(
            f"device={device!r} is not a torch device; use 'auto', 'cpu', 'cuda' or 'cuda:<index>'."
        ) from None
    if kind == "cuda" and not torch.cuda.is_available():
        raise InvalidParameterError(
            f"device={device!r} asks for CUDA, which this machine does not have "
            "(torch.cuda.is_available() is False); use device='auto' (CUDA when present) or 'cpu'."
        )
    return device


class RandomMixin:
    """The randomness of a neural estimator: a generator it owns, seeded from ``random_state``."""

    def _seed(self):
        """Seed the generator this net owns (``random_generator_``) from ``random_state``."""
        state = self.random_state
        if state is None:
            seed = int(np.random.SeedSequence().entropy % 2**32)  # a valid random_state
        elif isinstance(state, np.random.RandomState):
            seed = int(state.randint(np.iinfo(np.int32).max))
        else:
            seed = int(state)
        self.random_seed_ = seed
        self.random_generator_ = torch.Generator().manual_seed(seed)
        self._module_generator = None

    def _global_rng(self):
        """Seed torch's global generators from this net's own for the duration of a block."""
        return _global_rng_from(self.random_generator_, self.device_)

    def _step_rng(self):
        """Choose the randomness of a training step: the net's own generator, or torch's global.

        audiosk's modules draw their dropout and noise from a generator of the
        net on its device (seeded from ``random_generator_``), so nets in
        threads run their steps at once; any other module runs on torch's
        global generator, seeded from the net's and locked for the step.
        """
        if self.__dict__.get("_own_rng_module") != id(self.module_):  # checked once per module
            self._own_rng = draws_from_net(self.module_)
            self._own_rng_module = id(self.module_)
        if not self._own_rng:
            return self._global_rng()
        device = torch.device(self.device_)
        generator = self.__dict__.get("_module_generator")
        same = generator is not None and generator.device.type == device.type
        if not same or device.index not in (None, generator.device.index):
            seed = int(torch.randint(0, 2**62, (1,), generator=self.random_generator_))
            generator = self._module_generator = torch.Generator(device=device).manual_seed(seed)
        return drawing_from(generator)
