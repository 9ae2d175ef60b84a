"""rnnrnade-pt: RNADE and RNN-RNADE as PyTensor symbolic graphs.

Importing the package changes nothing global: PyTensor's settings that its compilations need are applied to
those compilations only (:mod:`rnnrnade_pt.backend`).

References
----------
.. [1] B. Uria, I. Murray, H. Larochelle. "RNADE: The real-valued neural autoregressive density-estimator."
   NIPS 2013.
.. [2] Supplementary Material for the RNN-RNADE model.
"""

from .config import ModelConfig
from .density_model import DeepRnade, GaussianRnn, Loglik, Rnade, RnnNade, RnnRbm, RnnRnade, load_model
from .errors import BackendError, ConfigError, DataError, ParamsError, RnnRnadeError
from .models import (
    build,
    build_rnade,
    build_rnnrnade,
    explicit_gradients,
    init_params,
    param_shapes,
    symbolic_gradients,
)
from .params import load_params, save_params, shared_params
from .runs import train_model

__all__ = [
    "ModelConfig",
    "RnnRnadeError",
    "ConfigError",
    "ParamsError",
    "DataError",
    "BackendError",
    "Rnade",
    "DeepRnade",
    "RnnRnade",
    "RnnNade",
    "RnnRbm",
    "GaussianRnn",
    "Loglik",
    "load_model",
    "build",
    "build_rnade",
    "build_rnnrnade",
    "symbolic_gradients",
    "explicit_gradients",
    "param_shapes",
    "init_params",
    "shared_params",
    "save_params",
    "load_params",
    "train_model",
]

__version__ = "0.1.0"
