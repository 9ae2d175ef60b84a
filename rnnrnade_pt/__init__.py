"""rnnrnade-pt: RNADE and RNN-RNADE as PyTensor symbolic graphs.

References
----------
.. [1] B. Uria, I. Murray, H. Larochelle. "RNADE: The real-valued neural autoregressive density-estimator."
   NIPS 2013.
.. [2] Supplementary Material for the RNN-RNADE model.
"""

from . import pytensor_setup  # noqa: F401  (configures BLAS before PyTensor is imported)
from .config import ModelConfig
from .errors import BackendError, ConfigError, DataError, ParamsError, RnnRnadeError
from .model import Loglik, Rnade, RnnRnade, load_model
from .models import build, build_rnade, build_rnnrnade, explicit_gradients, symbolic_gradients
from .params import init_params, load_params, param_shapes, save_params, shared_params
from .sample import predict, sample

__all__ = [
    "ModelConfig",
    "RnnRnadeError",
    "ConfigError",
    "ParamsError",
    "DataError",
    "BackendError",
    "Rnade",
    "RnnRnade",
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
    "sample",
    "predict",
]

__version__ = "0.1.0"
