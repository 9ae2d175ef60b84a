"""Model configuration: a plain dataclass, JSON in and out, with strict validation.

The defaults are the supplement's choices (sigmoid RNN, all three mixture parameters conditioned on the RNN,
a separate hidden bias ``c``). The options cover what users of the original Theano code will ask for.

References
----------
.. [1] Supplementary Material for the RNN-RNADE model (``shared/seed/rnn_rnade_supplement.txt``).
.. [2] B. Uria, I. Murray, H. Larochelle. "RNADE: The real-valued neural autoregressive density-estimator."
   NIPS 2013.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from .errors import ConfigError

__all__ = [
    "MODELS",
    "VECTOR_MODELS",
    "MODEL_OPTIONS",
    "RNADE_FAMILY",
    "BINARY_MODELS",
    "COMPONENTS",
    "ModelConfig",
]

MODELS = ("rnade", "deep-rnade", "rnn-rnade", "rnn-nade", "rnn-rbm", "gaussian-rnn")
VECTOR_MODELS = ("rnade", "deep-rnade")  # densities of vectors X (N x D); the others model sequences
RNADE_FAMILY = ("rnade", "rnn-rnade")  # the RNADE frame model, with or without the RNN
BINARY_MODELS = ("rnn-nade", "rnn-rbm")  # frames of 0/1 (piano rolls)
MIXTURES = ("gaussian", "laplace")
COMPONENTS = ("alpha", "mu", "sigma")
ACTIVATIONS = ("sigmoid", "tanh")
HIDDEN_ACTIVATIONS = ("sigmoid", "relu")  # RNADE family hidden units: the paper's; Uria's default
DTYPES = ("float64", "float32")
AIS_BASES = ("biases", "mean-field")  # the starting RBM of the RNN-RBM's AIS (kernels.rbm.ais_log_z)
AIS_DIRECTIONS = ("forward", "reverse")  # AIS, or reverse annealing from the data (RAISE)
MODEL_OPTIONS = {
    "rnade": ("H", "K", "mixture", "hidden_activation", "fold_c_into_W"),
    "deep-rnade": ("H", "K", "layers", "mixture", "hidden_activation"),
    "rnn-rnade": (
        "H",
        "K",
        "R",
        "rnn_activation",
        "mixture",
        "hidden_activation",
        "fold_c_into_W",
        "conditioned",
        "condition_c",
    ),
    "rnn-nade": ("H", "R", "rnn_activation"),
    "rnn-rbm": (
        "H",
        "R",
        "rnn_activation",
        "cd_k",
        "gibbs_k",
        "ais_chains",
        "ais_betas",
        "ais_base",
        "ais_direction",
    ),
    "gaussian-rnn": ("R", "rnn_activation"),
}
"""The options each model reads besides ``model``, ``D`` and ``dtype``. A config that sets another one to
anything but its default is refused (a model would silently ignore it)."""


def reads(model: str, name: str) -> bool:
    """Whether a config of ``model`` reads option ``name`` (every model reads ``model``, ``D``, ``dtype``)."""
    return name in ("model", "D", "dtype") or name in MODEL_OPTIONS[model]


@dataclass(frozen=True)
class ModelConfig:
    """Sizes and structural options of every model of the family.

    Parameters
    ----------
    model : {"rnade", "deep-rnade", "rnn-rnade", "rnn-nade", "rnn-rbm", "gaussian-rnn"}
        RNADE, or the deep order-agnostic RNADE (Uria et al. 2014), for vectors ``X`` (N x D); for
        sequences ``X`` (T x B x D): RNN-RNADE, the binary RNN-NADE and
        RNN-RBM of Boulanger-Lewandowski et al. (piano rolls), or the Gaussian RNN baseline (a diagonal
        Gaussian per frame whose mean and log-sigma the RNN sets).
    D, H, K, R : int
        Data dimensions, hidden units of the frame model (RNADE, NADE or RBM; unused by the Gaussian RNN),
        mixture components (RNADE family only), recurrent units (``R`` is ignored for RNADE).
    rnn_activation : {"sigmoid", "tanh"}, optional
        Non-linearity of the RNN state. Default: the sigmoid for RNN-RNADE and the Gaussian RNN (the
        supplement's choice; the original code used tanh), tanh for RNN-NADE and RNN-RBM (the tutorial's).
    layers : int
        Deep RNADE: hidden layers (``H`` units each).
    mixture : {"gaussian", "laplace"}
        Component densities of the RNADE family's mixtures (RNADE-MoG or RNADE-Laplace).
    hidden_activation : {"sigmoid", "relu"}
        The RNADE family's hidden units ``h_d = act(rho_d a_d)``: the paper's sigmoid, or the rectifier,
        the default (``RLU``) of Uria's ``MoGNADE`` and ``MoLaplaceNADE``.
    cd_k : int
        RNN-RBM: Gibbs steps of contrastive divergence in training (the tutorial's CD-15).
    gibbs_k : int
        RNN-RBM: Gibbs steps per frame when generating (the tutorial's 25).
    ais_chains, ais_betas, ais_base, ais_direction : int, int, str, str
        RNN-RBM: AIS of each frame's partition function: chains, temperatures, start (``"biases"`` or
        ``"mean-field"``) and direction (``"forward"``: AIS, optimistic; ``"reverse"``: RAISE from each data
        frame, conservative); see :func:`~rnnrnade_pt.kernels.rbm.ais_log_z`.
    conditioned : tuple of {"alpha", "mu", "sigma"}
        Mixture parameters whose biases the RNN shifts (``W_alpha``, ``W_mu``, ``W_sigma``). The supplement
        conditions all three; the original experiments conditioned ``("mu", "sigma")``.
    condition_c : bool
        Also shift the RNADE hidden bias: ``c_t = c + hhat_{t-1} W_c`` with ``W_c`` (R x H).
    fold_c_into_W : bool
        The original code's layout: no ``c``; ``W[:, 0]`` is the hidden bias and ``x_d`` multiplies
        ``W[:, d + 1]`` (0-based), so ``x_{D-1}`` multiplies nothing. Same family of densities.
    dtype : {"float64", "float32"}
        Floating-point type of the compiled graphs (parameter files always store float64).
    """

    model: str = "rnn-rnade"
    D: int = 49
    H: int = 128
    K: int = 10
    R: int = 128
    layers: int = 2
    rnn_activation: str | None = None
    conditioned: tuple[str, ...] = field(default=COMPONENTS)
    condition_c: bool = False
    fold_c_into_W: bool = False
    dtype: str = "float64"
    mixture: str = "gaussian"
    hidden_activation: str = "sigmoid"
    cd_k: int = 15
    gibbs_k: int = 25
    ais_chains: int = 100
    ais_betas: int = 1000
    ais_base: str = "biases"
    ais_direction: str = "forward"

    def __post_init__(self) -> None:
        object.__setattr__(self, "conditioned", tuple(self.conditioned))
        _check_choice("model", self.model, MODELS)
        if self.rnn_activation is None:
            default = "tanh" if self.model in BINARY_MODELS else "sigmoid"
            object.__setattr__(self, "rnn_activation", default)
        for name in ("D", "H", "K", "R", "layers", "cd_k", "gibbs_k", "ais_chains", "ais_betas"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"config {name} must be a positive integer, got {value!r}")
        for name, allowed in (
            ("mixture", MIXTURES),
            ("rnn_activation", ACTIVATIONS),
            ("dtype", DTYPES),
            ("hidden_activation", HIDDEN_ACTIVATIONS),
            ("ais_base", AIS_BASES),
            ("ais_direction", AIS_DIRECTIONS),
        ):
            _check_choice(name, getattr(self, name), allowed)
        for comp in self.conditioned:
            _check_choice("conditioned entry", comp, COMPONENTS)
        if len(set(self.conditioned)) != len(self.conditioned):
            raise ConfigError(f"config conditioned has repeated entries: {list(self.conditioned)}")
        # canonical order, so that equal configs compare equal
        object.__setattr__(self, "conditioned", tuple(c for c in COMPONENTS if c in self.conditioned))
        if self.model == "rnn-rnade" and not self.conditioned and not self.condition_c:
            raise ConfigError(
                "config: an RNN-RNADE whose RNN conditions nothing is an RNADE; "
                "set conditioned to a subset of alpha, mu, sigma, or condition_c"
            )
        for name in ("condition_c", "fold_c_into_W"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"config {name} must be true or false, got {getattr(self, name)!r}")
        self._check_options_read()

    def _check_options_read(self) -> None:
        """Refuse an option the model does not read, set to anything but its default."""
        for f in dataclasses.fields(self):
            if reads(self.model, f.name):
                continue
            if f.name == "rnn_activation":
                unset = self.rnn_activation == "sigmoid"  # what a model without an RNN resolves None to
            else:
                unset = getattr(self, f.name) == (
                    f.default_factory() if f.default is dataclasses.MISSING else f.default
                )
            if not unset:
                users = [m for m, names in MODEL_OPTIONS.items() if f.name in names]
                raise ConfigError(
                    f"config {f.name}={getattr(self, f.name)!r} is not an option of model {self.model!r} "
                    f"(only of {', '.join(users)}); leave it out"
                )

    @classmethod
    def from_options(cls, model: str, **options: Any) -> ModelConfig:
        """A config of ``model`` from options shared by several models (sizes for every model, say): those
        ``model`` does not read are dropped, not refused.

        >>> ModelConfig.from_options("gaussian-rnn", D=3, H=4, K=2, R=5).R
        5
        """
        _check_choice("model", model, MODELS)
        return cls(model=model, **{k: v for k, v in options.items() if reads(model, k)})

    def for_model(self, model: str) -> ModelConfig:
        """This config as ``model`` reads it: ``D``, ``dtype`` and the options ``model`` shares with this
        one are kept, the others return to their defaults (e.g. an RNN-RNADE's frame RNADE).

        >>> cfg = ModelConfig(model="rnn-rnade", D=3, H=4, K=2, R=5, conditioned=("mu",))
        >>> frame = cfg.for_model("rnade")
        >>> frame.model, frame.H, frame.K, frame.R
        ('rnade', 4, 2, 128)
        """
        _check_choice("model", model, MODELS)
        keep = [f.name for f in dataclasses.fields(self) if f.name != "model" and reads(model, f.name)]
        options = {n: getattr(self, n) for n in keep if reads(self.model, n)}
        if options.get("rnn_activation") == ModelConfig(model=self.model).rnn_activation:
            del options["rnn_activation"]  # this model's default, not a choice: the new model's default
        return ModelConfig.from_options(model, **options)

    @property
    def recurrent(self) -> bool:
        """True for the sequence models (``X`` is T x B x D with a T x B mask); False for the RNADEs of
        vectors (:data:`VECTOR_MODELS`)."""
        return self.model not in VECTOR_MODELS

    @property
    def binary(self) -> bool:
        """True for the models of binary frames (RNN-NADE, RNN-RBM)."""
        return self.model in BINARY_MODELS

    @property
    def rnade_family(self) -> bool:
        """True for RNADE and RNN-RNADE (the RNADE frame model, its mixtures and explicit gradients)."""
        return self.model in RNADE_FAMILY

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["conditioned"] = list(self.conditioned)
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelConfig:
        if isinstance(d, dict) and "conditioned" in d:
            if not isinstance(d["conditioned"], (list, tuple)):
                raise ConfigError(f"config conditioned must be a list, got {d['conditioned']!r}")
            d = {**d, "conditioned": tuple(d["conditioned"])}
        return _from_dict(cls, d, "model")

    @classmethod
    def from_json(cls, text: str) -> ModelConfig:
        try:
            d = json.loads(text)
        except json.JSONDecodeError as e:
            raise ConfigError(f"config is not valid JSON: {e}") from None
        return cls.from_dict(d)

    def replace(self, **changes: Any) -> ModelConfig:
        return dataclasses.replace(self, **changes)


def read_by(model: str, pairs) -> list:
    """The ``(key, value)`` overrides that concern ``model``: all but the ``model.<option>`` keys of an option
    it does not read (:data:`MODEL_OPTIONS`), which its config would refuse; for overrides shared by runs of
    several models, such as an experiment's quick sizes.

    >>> read_by("rnn-nade", [("model.H", 6), ("model.cd_k", 2), ("train.epochs", 1)])
    [('model.H', 6), ('train.epochs', 1)]
    """
    _check_choice("model", model, MODELS)
    return [(k, v) for k, v in pairs if not k.startswith("model.") or reads(model, k.removeprefix("model."))]


def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"config {name} must be one of {list(choices)}, got {value!r}")


# -- training runs ------------------------------------------------------------------------------------------
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam")
SCHEDULES = ("constant", "linear", "inverse")
INITS = ("gaussian", "data")
DATASETS = ("balls", "mocap", "vowels", "npz", "memory", "music", "uci", "bsds300")
ORDERINGS = ("fixed", "orderless")
GRADIENTS = ("symbolic", "explicit", "sigma-scaled-mu")  # the last: explicit, with the original code's hack
GRAPHS = ("scan", "fast", "fused")
"""``scan``: the algorithms as written (scans over dimensions, and over time); ``fast``: every frame and
dimension at once as plain PyTensor operations (inspectable; the explicit gradients are built on it);
``fused``: the fast graph with the autoregressive hidden and output layers as one fused Op
(:mod:`rnnrnade_pt.kernels.fused_frame`), the fastest, and the training default. Models without an
autoregressive frame model (the RNN-RBM, the Gaussian RNN) build their fast graph for ``fused``."""
BACKENDS = ("c", "numba", "jax")  # PyTensor's backends this package compiles for (backend.py)
EXPLICIT_GRADIENT_MODELS = ("rnade", "rnn-rnade")  # models.MODULES[m].explicit_gradients (a test checks)
PRETRAINED_MODELS = ("rnn-rnade", "rnn-nade", "rnn-rbm")  # the models with a frame model to pretrain


def _check_fields(obj, choices: dict[str, tuple]) -> None:
    """Type-check every field of a config dataclass against its annotation (str, int, float, bool, or
    ``X | None``) and the allowed choices."""
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        ann = str(f.type)
        optional = "None" in ann
        if value is None:
            if not optional:
                raise ConfigError(f"config {f.name} must not be null")
            continue
        if ann.startswith("bool"):
            ok = isinstance(value, bool)
        elif ann.startswith("int"):
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif ann.startswith("float"):
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            if ok:
                object.__setattr__(obj, f.name, float(value))
        elif ann.startswith("str"):
            ok = isinstance(value, str)
        else:
            ok = True
        if not ok:
            raise ConfigError(f"config {f.name} must be of type {ann}, got {value!r}")
        if f.name in choices:
            _check_choice(f.name, value, choices[f.name])


def _from_dict(cls, d: dict[str, Any], section: str):
    if not isinstance(d, dict):
        raise ConfigError(f"config section {section!r} must be a JSON object, got {type(d).__name__}")
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(d) - known)
    if unknown:
        raise ConfigError(f"unknown config key(s) {unknown} in section {section!r}; known: {sorted(known)}")
    try:
        return cls(**d)
    except TypeError as e:
        raise ConfigError(f"config section {section!r}: {e}") from None


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation of a run (every field can be overridden on the command line as ``--name value``).

    Parameters
    ----------
    optimizer : {"sgd", "momentum", "nesterov", "adam"}
        Plain SGD, heavy-ball momentum, Nesterov's accelerated gradient (the RNADE paper's code), or Adam.
    lr : float
        Initial learning rate.
    momentum : float
        The momentum of ``momentum`` and ``nesterov``.
    beta1, beta2, adam_eps : float
        Adam's decay rates of the first and second moment estimates, and its epsilon.
    schedule : {"constant", "linear", "inverse"}
        ``lr``; ``lr (1 - step / total_steps)`` (the original code's linear decay to 0);
        ``lr / (1 + decay * epoch)`` with fractional epochs.
    decay : float
        The ``inverse`` schedule's rate (the original code's ``lr / (1 + 0.1 t)``: 0.1).
    clip_norm : float
        Rescale the gradient so that its norm is at most this (0: off); per parameter with
        ``clip_per_param`` (the original RNN-RNADE code clipped each parameter's gradient at 50).
    clip_per_param : bool
        Clip each parameter's gradient norm separately instead of the global norm.
    weight_decay : float
        L2 penalty ``weight_decay * sum ||W||^2`` on the weight matrices named by ``weight_decay_on``.
    weight_decay_on : {"weights", "W"}
        Every weight matrix (``W*``, ``V_*``), or ``W`` alone (Uria's RNADE marks only ``W`` regularised).
    batch_size : int
        Minibatch size: windows of sequences (sequence models) or rows (RNADE, and frames in pretraining).
    window : int
        Cut sequences into consecutive windows of this many frames (the tutorial's 100-step chunks); 0: whole.
    epochs : int
        Epochs of training (with ``--resume``, in all).
    max_seconds : float, optional
        Stop after this much training time (pretraining included), with a usable checkpoint.
    patience : int
        Stop after this many epochs without a better validation log-likelihood (0: never).
    seed : int
        Seeds the initialisation, the shuffling of every epoch's batches, the orderings of order-agnostic
        training and every random stream of the training graph (the RNN-RBM's CD chains).
    init : {"gaussian", "data"}
        The original code's small Gaussian weights, or also the data-driven output biases (means spread over
        each dimension's range, ``rho = 1``).
    init_scale : float
        Standard deviation of the Gaussian initial weights (the original codes' 0.01).
    pretrain_epochs : int
        Train the frame model (RNADE, NADE, RBM) alone on shuffled frames for this many epochs before the RNN
        (RNN-RNADE, RNN-NADE, RNN-RBM; :mod:`rnnrnade_pt.pretrain`). Each pretraining epoch is scored on the
        validation split, and training starts from the best pretraining checkpoint.
    pretrain_lr, pretrain_batch_size : float, int
        Learning rate and minibatch size (frames) of pretraining; 0: ``lr``, ``batch_size``.
    pretrain_max_seconds : float, optional
        Move on from pretraining to training after this much training time (``max_seconds`` bounds both).
    pretrain_patience : int
        Stop pretraining after this many epochs without a better validation log-likelihood (0: never).
    pretrained_rnade : str, optional
        Instead of pretraining, start an RNN-RNADE's RNADE from this per-frame RNADE (a run's ``best.npz``),
        with zero bias maps; that start is scored as epoch 0, the score to beat (:mod:`rnnrnade_pt.pretrain`).
    zero_bias_maps : bool
        Start the RNN-to-bias maps (``W_alpha``, ``W_mu``, ``W_sigma``, ``W_c``; ``Wuv``, ``Wuh``) at zero,
        so that the model starts as its frame model (after pretraining: as the pretrained one).
    nan_lr_factor : float
        A step whose cost or gradient is not finite changes nothing, and the learning rate is multiplied by
        this (in (0, 1)).
    max_nan_failures : int
        Stop (with a usable checkpoint) after this many rejected non-finite steps.
    eval_sequences : int
        Score validation (every epoch) on the first this many sequences of the split (0: all); the test
        score after training is always of the whole split. For a model whose log-likelihood is expensive
        to estimate (the RNN-RBM's annealed importance sampling of every frame's partition function).
    log_grad_norms : bool
        Log each parameter's mean gradient norm every epoch and write them to ``grad_norms.csv``.
    ordering : {"fixed", "orderless"}
        RNADE: train with the natural ordering of the dimensions, or order-agnostic (a random ordering per
        example and step, as the original code's orderless NADE).
    gradient : {"symbolic", "explicit", "sigma-scaled-mu"}
        ``pytensor.grad``; the supplement's explicit formulas (fast graph); or those with the original code's
        heuristic ``dp_dz_mu * Sigma`` (Uria's ``sym_gradients_new``; not a gradient of the cost).
    fastmath : bool
        Numba backend: compile the training step with ``fastmath`` (faster; agrees with C to about 1e-7
        instead of to rounding). Off by default.
    graph : {"fused", "fast", "scan"}
        The graph trained and evaluated (:data:`rnnrnade_pt.models.common.GRAPHS`): ``fused`` (the fastest;
        the explicit gradient and orderless training, which need the fast graph's intermediates, use
        ``fast`` in its place), ``fast``, or the faithful ``scan``.
    backend : {"c", "numba", "jax"}
        The PyTensor backend that compiles the training step and the evaluation (:mod:`rnnrnade_pt.backend`).
    checkpoint_seconds : float
        Write ``last.npz`` at least this often (seconds of wall time, mid-epoch too), so that a run killed
        without warning (SIGKILL, a power cut) loses at most this much; 0: after every step.
    """

    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    adam_eps: float = 1e-8
    schedule: str = "constant"
    decay: float = 0.1
    clip_norm: float = 0.0
    clip_per_param: bool = False
    weight_decay: float = 0.0
    weight_decay_on: str = "weights"
    batch_size: int = 16
    window: int = 100
    epochs: int = 10
    max_seconds: float | None = None
    patience: int = 0
    seed: int = 0
    init: str = "data"
    init_scale: float = 0.01
    pretrain_epochs: int = 0
    pretrain_lr: float = 0.0
    pretrain_batch_size: int = 0
    pretrain_patience: int = 0
    pretrain_max_seconds: float | None = None
    pretrained_rnade: str | None = None
    zero_bias_maps: bool = False
    nan_lr_factor: float = 0.5
    max_nan_failures: int = 10
    log_grad_norms: bool = False
    eval_sequences: int = 0
    gradient: str = "symbolic"
    graph: str = "fused"
    fastmath: bool = False
    backend: str = "c"
    ordering: str = "fixed"
    checkpoint_seconds: float = 300.0

    def __post_init__(self) -> None:
        _check_fields(
            self,
            {
                "optimizer": OPTIMIZERS,
                "schedule": SCHEDULES,
                "init": INITS,
                "gradient": GRADIENTS,
                "graph": GRAPHS,
                "backend": BACKENDS,
                "ordering": ORDERINGS,
                "weight_decay_on": ("weights", "W"),
            },
        )
        for name in ("lr", "batch_size", "epochs"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"config {name} must be positive, got {getattr(self, name)!r}")
        for name in (
            "window",
            "patience",
            "pretrain_epochs",
            "pretrain_patience",
            "pretrain_lr",
            "pretrain_batch_size",
            "max_nan_failures",
            "eval_sequences",
            "clip_norm",
            "weight_decay",
            "checkpoint_seconds",
        ):
            if getattr(self, name) < 0:
                raise ConfigError(f"config {name} must be >= 0, got {getattr(self, name)!r}")
        limit = self.pretrain_max_seconds
        if limit is not None and limit <= 0:
            raise ConfigError(f"config pretrain_max_seconds must be positive, got {limit!r}")
        if not 0 < self.nan_lr_factor < 1:
            raise ConfigError(f"config nan_lr_factor must be in (0, 1), got {self.nan_lr_factor!r}")
        if self.pretrained_rnade and self.pretrain_epochs:
            raise ConfigError(
                "config pretrained_rnade starts from an RNADE trained elsewhere; pretrain_epochs must be 0"
            )
        if self.gradient != "symbolic" and self.graph == "scan":
            raise ConfigError(f"config gradient {self.gradient!r} is written for graph 'fast'")

    @property
    def step_graph(self) -> str:
        """The graph the training step is built on: ``graph``, but ``fast`` for ``fused`` where the step
        needs the fast graph's intermediates (the explicit gradient, orderless training)."""
        if self.graph == "fused" and (self.gradient != "symbolic" or self.ordering == "orderless"):
            return "fast"
        return self.graph


@dataclass(frozen=True)
class DataConfig:
    """Where a run's data come from.

    Parameters
    ----------
    dataset : {"balls", "mocap", "vowels", "npz", "memory", "music", "uci", "bsds300"}
        Bouncing balls generated in code; MIT motion capture; Japanese Vowels; ``.npz`` files in the
        generic format (``train``, ``valid``, ``test`` paths); sequences handed over in Python
        (``RnnRnade.train``), which a run directory cannot reload; the polyphonic-music piano rolls
        (``name``: the set); a UCI set with the RNADE paper's preprocessing (``name``, ``fold``); BSDS300
        8x8 patches.
    name : str, optional
        Which set of a dataset family (``music``: ``JSB_Chorales``, ``Nottingham``, ``MuseData``,
        ``Piano_midi``; ``uci``: ``redwine``, ``whitewine``, ``parkinsons``, ``ionosphere``, ``boston``, the
        RNADE paper's sets, and ``redwine_csv``, ``parkinsons_disease`` outside its table).
    train, valid, test : str, optional
        ``npz``: the paths of the splits (``valid``: else a ``valid_fraction`` of ``train`` is held out;
        ``test``: else none).
    fold : int
        Which of the UCI sets' 10 folds is the test fold.
    max_sequences : int
        Keep only the first this many sequences of every split (0: all), e.g. for quick runs.
    root : str, optional
        Data directory of the real datasets (else ``$RNNRNADE_DATA``).
    download : bool
        Fetch a missing real dataset from its original address (checksum verified) into ``root``.
    valid_fraction : float
        Share of training sequences held out for validation when the dataset has no validation split.
    standardize : bool
        Standardise every dimension with training statistics (stored in the checkpoints; log-likelihoods are
        reported in the data's own units).
    jitter : float
        Standard deviation of Gaussian noise added to every frame of every split (seeded). A density on data
        with exactly repeated values (the balls' empty background is exactly 0) is unbounded; a little noise
        makes the log-likelihood a meaningful number. 0: off.
    n_train, n_valid, n_test : int
        ``balls``: sequences per split; ``bsds300``: patches per image of each split (the validation images
        are a ``valid_fraction`` share of the training images; ``name="standard"``: the field's fixed splits).
    length, n_balls, res : int
        ``balls``: frames per sequence, balls in the box, and the frames' side in pixels.
    seed : int
        Seeds what the data loader draws: the balls' generation, the held-out validation sequences, the
        jitter, the UCI folds (but red wine's, which are Uria's own) and the BSDS300 patches.
    """

    dataset: str = "balls"
    train: str | None = None
    valid: str | None = None
    test: str | None = None
    root: str | None = None
    download: bool = False
    valid_fraction: float = 0.1
    standardize: bool = False
    jitter: float = 0.0
    n_train: int = 4000
    n_valid: int = 200
    n_test: int = 200
    length: int = 100
    n_balls: int = 3
    res: int = 15
    seed: int = 0
    name: str | None = None
    fold: int = 0
    max_sequences: int = 0

    def __post_init__(self) -> None:
        _check_fields(self, {"dataset": DATASETS})
        if self.dataset == "npz" and not self.train:
            raise ConfigError("config dataset 'npz' needs a train path (--data TRAIN.npz)")
        if self.jitter < 0:
            raise ConfigError(f"config jitter must be >= 0, got {self.jitter!r}")
        if self.max_sequences < 0:
            raise ConfigError(f"config max_sequences must be >= 0, got {self.max_sequences!r}")
        if not 0 < self.valid_fraction < 1:
            raise ConfigError(f"config valid_fraction must be in (0, 1), got {self.valid_fraction!r}")
        for name in ("n_train", "n_valid", "n_test", "length", "n_balls", "res"):
            if getattr(self, name) < 1:
                raise ConfigError(f"config {name} must be a positive integer, got {getattr(self, name)!r}")


SECTIONS = {"model": ModelConfig, "train": TrainConfig, "data": DataConfig}


@dataclass(frozen=True)
class RunConfig:
    """A training run: ``{"model": {...}, "train": {...}, "data": {...}}`` as in the JSON config files."""

    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    data: DataConfig = field(default_factory=DataConfig)

    def __post_init__(self) -> None:
        """The rules across sections, checked when a config is read, before a run directory is written."""
        m, t = self.model, self.train
        if t.gradient != "symbolic" and m.model not in EXPLICIT_GRADIENT_MODELS:
            raise ConfigError(
                f"gradient {t.gradient!r} is the supplement's hand-derived gradient, which models "
                f"{list(EXPLICIT_GRADIENT_MODELS)} have; model {m.model!r} trains with 'symbolic'"
            )
        if t.pretrain_epochs and m.model not in PRETRAINED_MODELS:
            raise ConfigError(f"pretrain_epochs pretrains a frame model; model {m.model!r} has none")
        if t.pretrained_rnade and m.model != "rnn-rnade":
            raise ConfigError(f"pretrained_rnade starts an RNN-RNADE's RNADE; model {m.model!r} has none")
        if t.ordering == "orderless":
            if m.model == "deep-rnade":
                raise ConfigError(
                    "ordering 'orderless' is for an RNADE; a deep-rnade always trains order-agnostically "
                    "(on random ordering prefixes): leave ordering out"
                )
            if m.model != "rnade":
                raise ConfigError(
                    f"ordering 'orderless' trains an RNADE over orderings of its dimensions; "
                    f"model {m.model!r} has a fixed one"
                )
            if t.graph == "scan":
                raise ConfigError("ordering 'orderless' is built on the fast graph; use graph 'fast'")
            if m.fold_c_into_W:
                raise ConfigError(
                    "ordering 'orderless' needs every dimension's input weight; fold_c_into_W gives the "
                    "last dimension none"
                )

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model.to_dict(),
            "train": dataclasses.asdict(self.train),
            "data": dataclasses.asdict(self.data),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunConfig:
        if not isinstance(d, dict):
            raise ConfigError(f"a run config must be a JSON object, got {type(d).__name__}")
        unknown = sorted(set(d) - set(SECTIONS))
        if unknown:
            raise ConfigError(f"unknown config section(s) {unknown}; sections are {sorted(SECTIONS)}")
        model = ModelConfig.from_dict(d.get("model", {}))
        return cls(
            model,
            _from_dict(TrainConfig, d.get("train", {}), "train"),
            _from_dict(DataConfig, d.get("data", {}), "data"),
        )

    @classmethod
    def from_json(cls, text: str) -> RunConfig:
        try:
            return cls.from_dict(json.loads(text))
        except json.JSONDecodeError as e:
            raise ConfigError(f"config is not valid JSON: {e}") from None

    def override(self, key: str, value: Any) -> RunConfig:
        """Set ``key`` (``name`` or ``section.name``) to ``value``; a bare name must be in one section."""
        return self.with_overrides([(key, value)])

    def with_overrides(self, pairs) -> RunConfig:
        """Apply several ``(key, value)`` overrides, then validate once.

        An override of ``model.model`` first makes the model section the new model's
        (:meth:`ModelConfig.for_model`: the options it does not read return to their defaults), so that a
        config written for one model serves another; options the overrides set are checked as given.
        """
        pairs = list(pairs)
        d = self.to_dict()
        new_model = [v for k, v in pairs if k in ("model.model", "model")]
        if new_model and new_model[-1] in MODELS:  # otherwise the validation below names the bad value
            d["model"] = self.model.for_model(new_model[-1]).to_dict()
        for key, value in pairs:
            if "." in key:
                section, name = key.split(".", 1)
                if section not in SECTIONS:
                    raise ConfigError(f"unknown config section {section!r} in --{key}")
            else:
                name = key
                owners = [s for s, c in SECTIONS.items() if name in {f.name for f in dataclasses.fields(c)}]
                if not owners:
                    raise ConfigError(f"unknown config key --{key}")
                if len(owners) > 1:
                    raise ConfigError(f"config key --{key} is in sections {owners}; write --SECTION.{key}")
                section = owners[0]
            if name not in d[section]:
                raise ConfigError(f"unknown config key {name!r} in section {section!r}")
            d[section][name] = value
        return RunConfig.from_dict(d)
