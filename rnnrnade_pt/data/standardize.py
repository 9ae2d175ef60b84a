"""Per-dimension standardisation of sequences, storable in checkpoints: :class:`Standardizer`."""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np

from ..errors import DataError
from .sequences import check_sequence_list

__all__ = ["Standardizer", "MIN_STD"]

logger = logging.getLogger(__name__)

MIN_STD = 1e-8  # floor of a Standardizer's std (constant dimensions)


class Standardizer:
    """Per-dimension standardization ``(x - mean) / std`` with statistics over all frames.

    Parameters
    ----------
    mean, std : array_like
        Length-D vectors; ``std`` must be positive. Usually built by :meth:`fit` or :meth:`from_arrays`.
    """

    def __init__(self, mean, std):
        mean = np.array(mean, dtype=np.float64)
        std = np.array(std, dtype=np.float64)
        if mean.ndim != 1 or std.shape != mean.shape or mean.size == 0:
            raise DataError(
                f"Standardizer: mean and std must be vectors of one length, got {mean.shape}, {std.shape}"
            )
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(std))):
            raise DataError("Standardizer: mean and std must be finite")
        if np.any(std <= 0):
            raise DataError(f"Standardizer: std must be positive (dimension {int(np.argmax(std <= 0))})")
        self.mean = mean  # D
        self.std = std  # D

    @property
    def D(self) -> int:
        """The number of dimensions."""
        return self.mean.size

    def __repr__(self) -> str:
        return f"Standardizer(D={self.D})"

    @property
    def log_jacobian(self) -> float:
        """``log |dz/dx| = -sum_d log std_d`` per frame: added to a model's log-likelihood of standardised
        frames, it gives the log-likelihood of the original frames."""
        return -float(np.sum(np.log(self.std)))

    @classmethod
    def fit(cls, seqs, min_std: float = MIN_STD) -> Standardizer:
        """The mean and (population) std of every dimension over all frames of ``seqs``.

        Parameters
        ----------
        seqs : list of ndarray, or ndarray
            Sequences ``T_i x D``, or one ``N x D`` array of frames (never a padded batch: padding would
            bias the statistics).
        min_std : float
            Floor of the std; a dimension below it (constant) is logged as a warning.
        """
        if isinstance(seqs, np.ndarray):
            if seqs.ndim != 2:
                raise DataError(
                    f"Standardizer.fit takes a list of T_i x D sequences or N x D frames, got {seqs.shape}"
                )
            seqs = [seqs]
        frames = np.concatenate(check_sequence_list(seqs, "Standardizer.fit"), axis=0)  # N x D
        mean = frames.mean(axis=0)
        std = frames.std(axis=0)
        low = std < min_std
        if low.any():
            logger.warning(
                "Standardizer.fit: %d constant dimension(s) %s (std < %g); their std is set to %g",
                int(low.sum()),
                np.flatnonzero(low).tolist(),
                min_std,
                min_std,
            )
            std = np.maximum(std, min_std)
        return cls(mean, std)

    def _apply(self, x, fn, what: str):
        if isinstance(x, (list, tuple)):
            return [self._apply(s, fn, what) for s in x]
        a = np.asarray(x, dtype=np.float64)
        if a.ndim == 0 or a.shape[-1] != self.D:
            raise DataError(f"Standardizer.{what}: the last axis must have D={self.D}, got shape {a.shape}")
        return fn(a)

    def transform(self, x):
        """``(x - mean) / std`` of a list of ``T_i x D`` arrays (returns a list) or of any ``... x D`` array.

        Padding in a padded batch is transformed too (it stays padding under its mask).
        """
        return self._apply(x, lambda a: (a - self.mean) / self.std, "transform")

    def inverse(self, x):
        """``x * std + mean``: the inverse of :meth:`transform`, on the same inputs."""
        return self._apply(x, lambda a: a * self.std + self.mean, "inverse")

    def to_arrays(self) -> dict[str, np.ndarray]:
        """``{"standardize_mean": mean, "standardize_std": std}`` (copies), for a checkpoint."""
        return {"standardize_mean": self.mean.copy(), "standardize_std": self.std.copy()}

    @classmethod
    def from_arrays(cls, d: Mapping[str, np.ndarray]) -> Standardizer:
        """Rebuild from :meth:`to_arrays` output (other keys are ignored, so a whole checkpoint will do)."""
        missing = [k for k in ("standardize_mean", "standardize_std") if k not in d]
        if missing:
            raise DataError(f"Standardizer.from_arrays: missing {', '.join(missing)}")
        return cls(d["standardize_mean"], d["standardize_std"])
