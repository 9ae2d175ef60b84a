"""Safe file input and output: pickle-free ``.npz`` and JSON reads with one-line errors, atomic writes."""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from collections.abc import Mapping

import numpy as np

__all__ = ["atomic_write", "atomic_write_npz", "atomic_write_text", "read_npz", "read_json"]


def atomic_write_npz(
    path: str | os.PathLike, arrays: Mapping[str, np.ndarray], compressed: bool = False
) -> None:
    """Write ``arrays`` to ``path`` as ``.npz`` (deflated when ``compressed``) so that a crash at any moment
    leaves the old file intact (see :func:`atomic_write`)."""
    save = np.savez_compressed if compressed else np.savez
    atomic_write(path, lambda fh: save(fh, **arrays), suffix=".npz")


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` so that a crash at any moment leaves the old file intact."""
    atomic_write(path, lambda fh: fh.write(text.encode("utf-8")))


def atomic_write(path: str | os.PathLike, write, suffix: str = "") -> None:
    """Call ``write(binary file)`` on a temporary file in ``path``'s directory, flush and fsync it, then
    rename it over ``path`` (atomic on POSIX); on any failure the temporary file is removed and ``path`` is
    left as it was (an ``OSError`` names ``path``)."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=suffix, dir=directory)
    except OSError as e:  # named by the file that was to be written, not a temporary one
        raise OSError(e.errno, e.strerror or str(e), path) from e
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(e, OSError):
            raise OSError(e.errno, e.strerror or str(e), path) from e
        raise
    try:  # make the rename itself durable
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def read_npz(path: str | os.PathLike, what: str, error: type[Exception]) -> dict[str, np.ndarray]:
    """Read every array of an ``.npz`` file without pickles; one-line errors for unreadable files."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise error(f"{what} file {path} does not exist")
    if os.path.isdir(path):
        raise error(f"{what} file {path} is a directory")
    try:
        npz = np.load(path, allow_pickle=False)
        if not isinstance(npz, np.lib.npyio.NpzFile):  # a plain .npy array: no context manager
            raise ValueError("a plain .npy array, not an .npz archive")
        with npz:
            return {k: npz[k] for k in npz.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, io.UnsupportedOperation, KeyError) as e:
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise error(f"{what} file {path} is not a readable .npz archive ({msg})") from None


def read_json(path: str | os.PathLike, what: str):
    """The JSON document in ``path``; a missing or malformed file is a one-line :class:`ConfigError` that
    names ``what`` ("sweep file", "protocol file", ...)."""
    import json

    from .errors import ConfigError

    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{what} {path} does not exist") from None
    except json.JSONDecodeError as e:
        raise ConfigError(f"{what} {path} is not valid JSON: {e}") from None
