"""PyTorch twin of FreeEnergy.Core's RateDistortionModel.

The modules here have exactly the library's architectures and parameter names, so a state_dict that
FreeEnergy.Core exports (`model.SavePyTorch(path, format)`) loads with `load_state_dict(strict=True)`,
and `functionals` computes R, D, C in nats per example with the library's estimator. Runs on
PyTorch 1.13 (Debian 12's python3-torch) and later.
"""

from .files import load_configuration, load_surface, load_tensors, load_weights, save_configuration, save_tensors, save_weights
from .model import RateDistortionNetwork, batch_terms, functionals

__all__ = [
    "RateDistortionNetwork",
    "batch_terms",
    "functionals",
    "load_configuration",
    "load_surface",
    "load_tensors",
    "load_weights",
    "save_configuration",
    "save_tensors",
    "save_weights",
]
