"""Typed errors: each names the bad thing in one line; the CLI prints it and exits with status 2."""

__all__ = ["RnnRnadeError", "ConfigError", "ParamsError", "DataError", "BackendError", "RunWriteError"]


class RnnRnadeError(Exception):
    """Base class of every error this package raises on bad input."""


class ConfigError(RnnRnadeError, ValueError):
    """A model or run configuration is invalid (unknown key, wrong type, impossible value)."""


class ParamsError(RnnRnadeError, ValueError):
    """A parameter file or dictionary is missing a parameter, mis-shaped, non-finite or unreadable."""


class DataError(RnnRnadeError, ValueError):
    """Data are unreadable, mis-shaped, non-finite, or their mask is invalid."""


class BackendError(RnnRnadeError, RuntimeError):
    """A backend is unknown, not installed, or cannot compile the requested function."""


class RunWriteError(RnnRnadeError, OSError):
    """A run directory could not be written (disk full, permission denied, read-only file system): the message
    names the file and the command that resumes the run once the cause is fixed; what was written before
    (every earlier checkpoint) is intact."""
