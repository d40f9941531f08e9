"""The docstrings of the neural estimators, assembled from one text per parameter.

Both estimators share most parameters; each task adds its own (a
classifier's ``classes``, a regressor's ``standardize_target``) at its place
in the signature. The table of what ``"auto"`` means is rendered from
:data:`~audiosk.nets._recipes.RECIPES`.
"""

from __future__ import annotations

import textwrap

from ._recipes import recipe_table

__all__ = ["net_docstring"]

_SUMMARY = {
    "classifier": """Neural network classifier whose architecture is chosen by name.

    A skorch ``NeuralNetClassifier`` that infers the input shape and the
    number of classes at fit (so ``PCA(n_components)`` or ``n_mels`` can be
    searched in front of it), accepts any labels (``classes_``), casts input
    to float32, reads clips of any length, and adds windows, augmentation,
    weight averaging, early stopping and learning-rate schedules as
    parameters.""",
    "regressor": """Neural network regressor whose architecture is chosen by name.

    A skorch ``NeuralNetRegressor`` that infers the input shape and the
    number of targets at fit, casts input and targets to float32, returns
    1-D predictions for a 1-D target, reads clips of any length, and adds
    windows, augmentation, weight averaging, early stopping and
    learning-rate schedules as parameters. Targets are standardised for
    training (``standardize_target``), so that a target in the hundreds
    trains as well as one near zero; predictions are in the target's own
    units.""",
}

_RECIPE = """
    With no arguments the net follows a recipe measured on small and medium
    audio datasets on CPU (``benchmarks/bench_defaults.py``): the kind of
    input chooses it (``recipe_``), and every part of it is a parameter
    below, resolved at fit into a fitted attribute:

{table}

    All the networks trained from scratch standardise their input inside
    the net (no scaler needed in front) and train with AdamW (learning rate
    1e-3, weight decay 1e-2) on a cosine learning-rate schedule, on all the
    training data: nothing is held out unless validation is asked for.
"""

_PARAMETERS = {
    "module": """module : "auto", str or torch.nn.Module class, default="auto"
    The architecture: "auto" (the recipe), or by name ("mlp", "tdnn", "cnn",
    "resnet18", "resnet34", "resnet50", "googlenet", "panns"):
    :class:`~audiosk.nets.MLP`, :class:`~audiosk.nets.TDNN`,
    :class:`~audiosk.nets.CNN`, :class:`~audiosk.nets.ResNet`,
    :class:`~audiosk.nets.GoogLeNet`, :class:`~audiosk.nets.PANNs` (on
    waveforms; ``module__arch`` "cnn14" or "cnn10", pretrained weights with
    ``module__weights=PATH``, the last stages fine-tuned with
    ``module__trainable_layers=n``), or any module class. ``input_shape``
    (one sample's shape, its last axis the window's length when the net
    reads windows), ``n_outputs`` and ``sr`` (the rate of
    :class:`~audiosk.containers.Waveforms` input) are inferred at fit and
    passed when the class accepts them; its other arguments are set as
    ``module__<name>``.""",
    "criterion": """criterion : torch loss class, default={criterion}
    The loss.""",
    "optimizer": """optimizer : {"adamw", "adam", "sgd", "rmsprop"} or torch optimizer class, \
default="adamw"
    Optimiser; further arguments as ``optimizer__<name>``.""",
    "lr": """lr : float, default=1e-3
    Learning rate.""",
    "max_epochs": """max_epochs : "auto" or int, default="auto"
    Training epochs (``max_epochs_``).""",
    "batch_size": """batch_size : int, default=32
    Mini-batch size (-1: one batch); training batches are reshuffled every
    epoch (``iterator_train__shuffle=False`` keeps the order).""",
    "weight_decay": """weight_decay : float, default=1e-2
    Weight decay passed to the optimiser (decoupled for AdamW).""",
    "momentum": """momentum : float, default=0.9
    Momentum for "sgd".""",
    "validation_fraction": """validation_fraction : float or None, default=None
    Share of the training data held out to report validation loss and
    metric each epoch. ``None`` holds out nothing, unless ``early_stopping``,
    ``restore_best`` or the "plateau" schedule needs a validation score;
    then 0.2 is held out. The split is stratified for classifiers and, when
    ``fit`` is given ``groups``, keeps every group on one side. Refused
    beside a ``train_split``.""",
    "early_stopping": """early_stopping : bool, default=False
    Stop when the validation loss has not improved for ``patience`` epochs
    and restore the best weights.""",
    "patience": """patience : int, default=5
    Epochs without improvement before stopping (half of it for the
    "plateau" schedule).""",
    "lr_schedule": """lr_schedule : {"cosine", "step", "plateau"}, scheduler class, \
(name or class, dict) or None, default="cosine"
    Learning-rate schedule. "cosine" anneals to zero over ``max_epochs_``;
    "step" divides the rate by 10 every ``max_epochs_ // 3`` epochs,
    ``("step", {"step_size": 45})`` after 45 epochs; "plateau" when the
    validation loss stalls; None keeps it constant.""",
    "restore_best": """restore_best : bool, default=False
    Load the weights of the epoch with the lowest validation loss when
    training ends (skorch's ``EarlyStopping(load_best=True)`` that never
    stops; the best checkpoint is kept in memory).""",
    "augment": """augment : "auto", str, augmentation object, list of them, or None, \
default="auto"
    Training-time augmentation of each mini-batch (never at prediction):
    "auto" (the recipe), a name ("specaugment", "warp", "stretch", "noise",
    "shift", "gain", "mixup", "between-class": :class:`SpecAugment`,
    :class:`FrequencyWarp`, :class:`TimeStretch`, :class:`AddNoise`,
    :class:`TimeShift`, :class:`Gain`, :class:`Mixup`,
    :class:`BetweenClassMix`), or configured objects such as
    ``SpecAugment(time_width=30)``, applied in the order given. Objects are
    cloned at fit (the parameter is never modified); one object's parameters
    are searchable as ``augment__<name>`` (``augment=Mixup(),
    augment__alpha=0.4``). The augmentations used are ``augment_``.""",
    "window_length": """window_length : "auto", int or None, default="auto"
    Read clips through windows of this many positions along their last axis
    (frames of spectra, samples of waveforms): in training a random window
    of each clip each time it is drawn, one that holds sound; to predict,
    ``n_windows`` evenly spaced windows whose outputs are averaged. A clip
    shorter than a window is read whole. "auto" follows the recipe (learned
    from the training clips' lengths); None reads whole clips. Resolved into
    ``window_length_``.""",
    "n_windows": """n_windows : "auto" or int, default="auto"
    Windows that cover a clip at prediction (``n_windows_``).""",
    "trim_db": """trim_db : "auto", float or None, default="auto"
    Positions more than this many dB below a clip's loudest are silence:
    trimmed from the ends of every clip before windows are taken (spectra
    are read as dB, as ``MelSpectrogram(db=True)`` gives them; waveforms by
    the power of blocks of 256 samples). None keeps every position.
    Resolved into ``trim_db_``.""",
    "average_weights": """average_weights : "auto", {"ema", "swa"} or None, default="auto"
    Average the weights over training and keep the average: "ema" an
    exponential moving average of every step, "swa" the mean of the epoch
    ends of the last quarter of training (batch-norm statistics recomputed
    for it); None keeps the last weights. Refused beside ``early_stopping``
    or ``restore_best``, to which "auto" gives way (``average_weights_``).""",
    "standardize_target": """standardize_target : bool, default=True
    Train on each target minus its training mean, divided by its standard
    deviation; the losses in ``history`` are in those units.""",
    "random_state": """random_state : int, RandomState instance or None, default=None
    Seed of the generator the net owns (``random_generator_``), the source of
    the weight initialisation, batch order, windows, dropout, augmentation
    and validation split: equal seeds give identical models on one machine,
    whether fitted alone, in threads or in processes. ``None`` draws a fresh
    seed at every fit (``random_seed_``).""",
    "n_threads": """n_threads : int or None, default=1
    CPU threads torch uses while this net trains and predicts (``-1``: one
    per core). torch's thread count is process-global: it is set when the
    work starts and the process' count is restored when the last net
    working ends. One thread is the default because torch's own default,
    one per core, collapses when a core is busy with other work (joblib
    workers, a second process; see ``benchmarks/bench_threads.py``);
    ``None`` leaves torch's setting.""",
    "device": """device : "auto", "cpu", "cuda" or torch.device, default="auto"
    "auto" uses CUDA when available; resolved at fit into ``device_`` (a
    device this machine lacks is refused there).""",
    "on_interrupt": """on_interrupt : {"raise", "stop"}, default="raise"
    What a Ctrl-C (KeyboardInterrupt) during fit does. "raise" ends training
    (the callbacks' ``on_train_end`` runs, so a best checkpoint is still
    loaded) and raises the KeyboardInterrupt again, so a search or a
    cross-validation stops too. "stop" is skorch's behaviour for interactive
    training: fit returns the net trained so far.""",
    "verbose": """verbose : int, default=0
    ``1`` prints a table row per epoch.""",
    "callbacks": """callbacks : list of skorch callbacks or None, default=None
    Extra callbacks, after the net's own (``train_loss``, ``valid_loss``,
    the metrics, ``best_weights``, ``average_weights``, ``lr_scheduler``,
    ``refresh_batch_norm``, ``print_log``).""",
    "train_split": """train_split : callable or None, default=None
    A skorch split (``skorch.dataset.ValidSplit``) instead of
    ``validation_fraction``; it is given the ``groups`` of ``fit``.""",
    "classes": """classes : array-like or None, default=None
    All the labels, for a net whose weights are loaded without fitting
    (``initialize`` then ``load_params``); ``fit`` learns them from ``y``.""",
    "warm_start": """warm_start : bool, default=False
    Continue training at the next ``fit`` instead of starting anew (skorch's).""",
    "iterators": """iterator_train, iterator_valid : class, default=torch.utils.data.DataLoader
    The iterators of skorch; the nets batch arrays in memory themselves unless
    these are changed or given arguments (``iterator_train__num_workers=2``).""",
    "dataset": """dataset : class, default=skorch.dataset.Dataset
    The dataset of skorch, used for input audiosk does not batch itself.""",
    "predict_nonlinearity": """predict_nonlinearity : "auto", callable or None, default="auto"
    What turns the module's outputs into ``predict_proba`` (skorch's "auto":
    a softmax after ``CrossEntropyLoss``).""",
    "compile": """compile : bool, default=False
    Compile the module with ``torch.compile`` (skorch's).""",
    "use_caching": """use_caching : "auto" or bool, default="auto"
    Let the scoring callbacks reuse the outputs of the epoch (skorch's).""",
    "torch_load_kwargs": """torch_load_kwargs : dict or None, default=None
    Arguments of ``torch.load`` in ``load_params`` (skorch's; audiosk's
    ``load_params`` reads weights only).""",
    "kwargs": """**kwargs
    Routed parameters (``module__``, ``optimizer__``, ``callbacks__``,
    ``iterator_train__``, ...).""",
}

_ORDER = {
    "classifier": [
        *("module", "criterion", "optimizer", "lr", "max_epochs", "batch_size"),
        *("weight_decay", "momentum", "validation_fraction", "early_stopping", "patience"),
        *("lr_schedule", "restore_best", "augment", "window_length", "n_windows", "trim_db"),
        *("average_weights", "random_state", "n_threads", "device", "on_interrupt"),
        *("verbose", "callbacks", "train_split", "classes", "warm_start", "iterators"),
        *("dataset", "predict_nonlinearity", "compile", "use_caching", "torch_load_kwargs"),
        "kwargs",
    ],
}
_ORDER["regressor"] = [name for name in _ORDER["classifier"] if name != "classes"]
_ORDER["regressor"].insert(_ORDER["regressor"].index("random_state"), "standardize_target")

_ATTRIBUTES = {
    "classes_": """classes_ : ndarray of shape (n_classes,)
    The labels seen at fit.""",
    "input_shape_": """input_shape_ : tuple of int (last item None for clips of different lengths)
    Shape of one sample seen at fit; ``(n_bins, None)`` for spectra of
    different lengths.""",
    "n_outputs_": """n_outputs_ : int
    Number of {outputs}.""",
    "sample_rate_": """sample_rate_ : int or None
    Sample rate of :class:`~audiosk.containers.Waveforms` input at fit
    (``None`` for other input); input at another rate is refused.""",
    "recipe_": """recipe_ : str or None
    The recipe the "auto" parameters followed (a row of the table).""",
    "max_epochs_": """max_epochs_ : int
    Epochs trained per call.""",
    "augment_": """augment_ : list of Augmentation
    The augmentations applied (fresh copies of ``augment``).""",
    "window_length_": """window_length_ : int or None
    Positions of the windows the net reads (None: whole clips).""",
    "n_windows_": """n_windows_ : int
    Windows averaged per clip at prediction.""",
    "trim_db_": """trim_db_ : float or None
    The silence threshold.""",
    "average_weights_": """average_weights_ : {"ema", "swa"} or None
    The weight averaging applied.""",
    "device_": """device_ : str or torch.device
    The device the net trained on.""",
    "random_seed_": """random_seed_ : int
    The seed of this fit (``random_state``, or the one drawn).""",
    "random_generator_": """random_generator_ : torch.Generator
    The generator the net draws from.""",
    "target_": """target_mean_, target_scale_ : ndarray of shape (n_targets,)
    The standardisation of the targets (0 and 1 without
    ``standardize_target``).""",
    "history": """history : skorch History
    Per-epoch ``train_loss``, ``valid_loss``, {metric}, ``dur``.""",
}

_NOTES = """
    Notes
    -----
    Parameters are checked whenever the net is initialised (an
    ``sklearn.utils._param_validation.InvalidParameterError``, a
    ``ValueError``, names the parameter and what it accepts), and fit and
    predict never change them: everything resolved from the data or the
    machine is a fitted attribute.

    Signed 8-, 16- and 32-bit integer input is integer PCM (the sample
    widths of WAV files) and is scaled to [-1, 1) as everywhere in audiosk
    (:func:`~audiosk.containers.to_float`), whatever holds it; 64-bit
    integers are taken as numbers (cast other integer tables to float).

    A fitted net pickles (``pickle``, ``joblib``) with everything it needs,
    but loading a pickle runs code stored in the file: load only files you
    trust. ``save_params(f_params=...)`` writes the weights alone, and
    ``load_params`` reads them back with ``torch.load(weights_only=True)``
    into a net built in code.

    The skorch methods the net overrides are listed, each with its reason,
    in ``audiosk.nets._base.SKORCH_OVERRIDES``.
"""

_SEE_ALSO = {
    "classifier": """
    See Also
    --------
    NeuralRegressor : The same for regression targets.
    audiosk.model_selection.compare : Cross-validate it beside classical models.
""",
    "regressor": """
    See Also
    --------
    NeuralClassifier : The same for class labels.
    audiosk.model_selection.compare : Cross-validate it beside classical models.
""",
}

_EXAMPLES = {
    "classifier": """
    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.nets import NeuralClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 5)); y = np.where(X[:, 0] > 0, "yes", "no")
    >>> clf = NeuralClassifier(random_state=0).fit(X, y)   # an MLP for a table
    >>> clf.classes_.tolist(), clf.score(X, y) > 0.9
    (['no', 'yes'], True)
""",
    "regressor": """
    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.nets import NeuralRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 3)); y = X @ [1.0, -2.0, 0.5]
    >>> reg = NeuralRegressor(module__hidden_layer_sizes=(32,), lr=0.01, max_epochs=60,
    ...                       random_state=0).fit(X, y)
    >>> reg.predict(X).shape, reg.score(X, y) > 0.9
    ((100,), True)
""",
}


def _section(title: str, entries: list[str]) -> str:
    body = "\n".join(textwrap.indent(entry, "    ") for entry in entries)
    return f"\n    {title}\n    {'-' * len(title)}\n{body}\n"


def net_docstring(task: str) -> str:
    """Assemble the docstring of the estimator of ``task`` ("classifier" or "regressor").

    Parameters
    ----------
    task : {"classifier", "regressor"}
        The estimator.

    Returns
    -------
    doc : str

    Examples
    --------
    >>> from audiosk.nets._docs import net_docstring
    >>> "standardize_target : bool" in net_docstring("regressor")
    True
    """
    classifier = task == "classifier"
    criterion = "CrossEntropyLoss" if classifier else "MSELoss"
    parameters = [_PARAMETERS[name].replace("{criterion}", criterion) for name in _ORDER[task]]
    attributes = ["classes_"] if classifier else []
    attributes += [
        *("input_shape_", "n_outputs_", "sample_rate_", "recipe_", "max_epochs_"),
        *("augment_", "window_length_", "n_windows_", "trim_db_", "average_weights_"),
        *("device_", "random_seed_", "random_generator_"),
    ]
    attributes += [] if classifier else ["target_"]
    metric = "``train_acc``, ``valid_acc``" if classifier else "``train_r2``, ``valid_r2``"
    attribute_text = [
        _ATTRIBUTES[name]
        .replace("{outputs}", "classes" if classifier else "targets")
        .replace("{metric}", metric)
        for name in [*attributes, "history"]
    ]
    table = textwrap.indent(recipe_table("rst"), "    ")
    return (
        _SUMMARY[task]
        + "\n"
        + _RECIPE.replace("{table}", table)
        + _section("Parameters", parameters)
        + _section("Attributes", attribute_text)
        + _SEE_ALSO[task]
        + _NOTES
        + _EXAMPLES[task]
        + "    "
    )
