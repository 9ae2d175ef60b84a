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

__all__ = ["MODELS", "COMPONENTS", "ModelConfig"]

MODELS = ("rnade", "rnn-rnade")
COMPONENTS = ("alpha", "mu", "sigma")
ACTIVATIONS = ("sigmoid", "tanh")
DTYPES = ("float64", "float32")


@dataclass(frozen=True)
class ModelConfig:
    """Sizes and structural options of an RNADE or RNN-RNADE.

    Parameters
    ----------
    model : {"rnade", "rnn-rnade"}
        RNADE for vectors ``X`` (N x D), or RNN-RNADE for sequences ``X`` (T x B x D).
    D, H, K, R : int
        Data dimensions, RNADE hidden units, mixture components, recurrent units (``R`` is ignored for RNADE).
    rnn_activation : {"sigmoid", "tanh"}
        Non-linearity of ``hhat_t``; the supplement uses the sigmoid, the original code used tanh.
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
    rnn_activation: str = "sigmoid"
    conditioned: tuple[str, ...] = field(default=COMPONENTS)
    condition_c: bool = False
    fold_c_into_W: bool = False
    dtype: str = "float64"

    def __post_init__(self) -> None:
        object.__setattr__(self, "conditioned", tuple(self.conditioned))
        _check_choice("model", self.model, MODELS)
        for name in ("D", "H", "K", "R"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"config {name} must be a positive integer, got {value!r}")
        _check_choice("rnn_activation", self.rnn_activation, ACTIVATIONS)
        _check_choice("dtype", self.dtype, DTYPES)
        for comp in self.conditioned:
            _check_choice("conditioned entry", comp, COMPONENTS)
        if len(set(self.conditioned)) != len(self.conditioned):
            raise ConfigError(f"config conditioned has repeated entries: {list(self.conditioned)}")
        # canonical order, so that equal configs compare equal
        object.__setattr__(self, "conditioned", tuple(c for c in COMPONENTS if c in self.conditioned))
        if self.recurrent and not self.conditioned and not self.condition_c:
            raise ConfigError(
                "config: an RNN-RNADE whose RNN conditions nothing is an RNADE; "
                "set conditioned to a subset of alpha, mu, sigma, or condition_c"
            )
        for name in ("condition_c", "fold_c_into_W"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"config {name} must be true or false, got {getattr(self, name)!r}")

    @property
    def recurrent(self) -> bool:
        """True for RNN-RNADE."""
        return self.model == "rnn-rnade"

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["conditioned"] = list(self.conditioned)
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelConfig:
        if not isinstance(d, dict):
            raise ConfigError(f"config must be a JSON object, got {type(d).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ConfigError(f"unknown config key(s) {unknown}; known keys are {sorted(known)}")
        d = dict(d)
        if "conditioned" in d:
            if not isinstance(d["conditioned"], (list, tuple)):
                raise ConfigError(f"config conditioned must be a list, got {d['conditioned']!r}")
            d["conditioned"] = tuple(d["conditioned"])
        return cls(**d)

    @classmethod
    def from_json(cls, text: str) -> ModelConfig:
        try:
            d = json.loads(text)
        except json.JSONDecodeError as e:
            raise ConfigError(f"config is not valid JSON: {e}") from None
        return cls.from_dict(d)

    def replace(self, **changes: Any) -> ModelConfig:
        return dataclasses.replace(self, **changes)


def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"config {name} must be one of {list(choices)}, got {value!r}")
