"""The polyphonic-music piano rolls of Boulanger-Lewandowski et al. [1]_: JSB Chorales, Nottingham,
MuseData and Piano-midi.de, as lists of ``T_i x 88`` float64 0/1 arrays (column ``j`` is MIDI note
``21 + j``, the 88 piano keys) per split ``train`` / ``valid`` / ``test``.

Two sources hold the same rolls (:func:`load_music` ``source``):

* ``pickle`` -- the paper's format, ``polyphonic/reconstructed/<Name>.pickle`` under the data root: a dict
  of ``train`` / ``valid`` / ``test``, each a list of sequences, each a list of frames, each a list of MIDI
  note numbers (Python or NumPy integers). The files here are reconstructions from the ``.mat`` copies, not
  the original bytes (which are no longer online), so they cannot be downloaded; a user's own file in this
  format (the paper's original, or any other) is read and validated by its structure (keys, sequences,
  note range), and a checksum other than the reconstruction's is logged, not refused.
* ``mat`` -- ``polyphonic/<Name>.mat``, Zhe Gan's MATLAB conversion of the original pickles (TSBN [2]_):
  cells ``traindata`` / ``validdata`` / ``testdata`` of ``T x 88`` uint8 rolls. Downloadable and verifiable.

Frames are eighth notes (quarter notes for JSB Chorales), transposed to C major / C minor [1]_.

References
----------
.. [1] N. Boulanger-Lewandowski, Y. Bengio, P. Vincent. "Modeling temporal dependencies in high-dimensional
   sequences: application to polyphonic music generation and transcription." ICML 2012
   (http://www-etud.iro.umontreal.ca/~boulanni/icml2012).
.. [2] Z. Gan, C. Li, R. Henao, D. Carlson, L. Carin. "Deep temporal sigmoid belief networks for sequence
   modeling." NIPS 2015 (``zhegan27/TSBN_code_NIPS2015``, ``polyphonic_music/data``).
"""

from __future__ import annotations

import io
import logging
import numbers
import os
import pickle
from typing import NamedTuple

import numpy as np

from ..errors import DataError
from .download import data_root, fetch
from .matlab import read_mat_splits
from .sequences import SequenceData

__all__ = ["LOWEST", "N_PITCHES", "SPLITS", "MusicSet", "MUSIC", "SOURCES", "notes_to_roll", "load_music"]

logger = logging.getLogger(__name__)

LOWEST = 21  # MIDI note of the roll's column 0 (A0)
N_PITCHES = 88  # MIDI notes 21..108, the piano keys
SPLITS = ("train", "valid", "test")
MAT_KEYS = {"train": "traindata", "valid": "validdata", "test": "testdata"}
SOURCES = ("auto", "pickle", "mat")


class MusicSet(NamedTuple):
    """One of the four sets: its title and its two files (paths under the data root)."""

    title: str
    pickle: str
    mat: str


MUSIC: dict[str, MusicSet] = {
    "JSB_Chorales": MusicSet(
        "JSB Chorales", "polyphonic/reconstructed/JSB Chorales.pickle", "polyphonic/JSB_Chorales.mat"
    ),
    "Nottingham": MusicSet(
        "Nottingham", "polyphonic/reconstructed/Nottingham.pickle", "polyphonic/Nottingham.mat"
    ),
    "MuseData": MusicSet("MuseData", "polyphonic/reconstructed/MuseData.pickle", "polyphonic/MuseData.mat"),
    "Piano_midi": MusicSet(
        "Piano-midi.de", "polyphonic/reconstructed/Piano-midi.de.pickle", "polyphonic/Piano_midi.mat"
    ),
}


class _SafeUnpickler(pickle.Unpickler):
    """Loads only plain containers and NumPy integer scalars (a pickle can otherwise run any code);
    ``_codecs.encode`` is how Python 3 writes a NumPy scalar's bytes at protocol 2."""

    ALLOWED = {
        ("_codecs", "encode"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
    }

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def notes_to_roll(frames, where: str = "sequence") -> np.ndarray:
    """A piano roll ``T x 88`` (float64 0/1) from frames of MIDI note numbers (21..108).

    Parameters
    ----------
    frames : sequence of sequences of int
        One list of MIDI notes per time step (empty: silence); NumPy integers are accepted.
    where : str
        Names the sequence in error messages (file, split and index).

    Raises
    ------
    DataError
        No frame, a frame that is not a list of integers, or a note outside 21..108.
    """
    if isinstance(frames, (str, bytes)) or not hasattr(frames, "__len__") or len(frames) == 0:
        raise DataError(f"{where} must be a non-empty list of frames (lists of MIDI notes)")
    roll = np.zeros((len(frames), N_PITCHES))  # T x 88
    for t, frame in enumerate(frames):
        if isinstance(frame, (str, bytes)) or not hasattr(frame, "__iter__"):
            raise DataError(f"{where} frame {t} must be a list of MIDI notes, got {type(frame).__name__}")
        for note in frame:
            if isinstance(note, bool) or not isinstance(note, numbers.Integral):
                raise DataError(f"{where} frame {t} holds {note!r}, not an integer MIDI note")
            if not LOWEST <= note < LOWEST + N_PITCHES:
                raise DataError(
                    f"{where} frame {t} has MIDI note {int(note)}, outside {LOWEST}..{LOWEST + N_PITCHES - 1}"
                )
            roll[t, int(note) - LOWEST] = 1.0
    return roll


def _read_pickle(path) -> dict[str, list[np.ndarray]]:
    try:
        with open(path, "rb") as fh:
            data = _SafeUnpickler(io.BytesIO(fh.read()), encoding="latin1").load()
    except OSError as e:
        raise DataError(f"cannot read data file {path}: {e.strerror or e}") from None
    except Exception as e:  # a corrupt pickle raises anything from UnpicklingError to IndexError
        raise DataError(f"{path} is not a readable piano-roll pickle: {type(e).__name__}: {e}") from None
    if not isinstance(data, dict) or any(s not in data for s in SPLITS):
        found = sorted(map(str, data)) if isinstance(data, dict) else type(data).__name__
        raise DataError(f"{path} must hold a dict with keys {list(SPLITS)}, got {found}")
    splits = {}
    for split in SPLITS:
        seqs = data[split]
        if not isinstance(seqs, (list, tuple)) or not seqs:
            raise DataError(f"{path}: '{split}' must be a non-empty list of sequences")
        splits[split] = [notes_to_roll(s, f"{path}: {split} sequence {i}") for i, s in enumerate(seqs)]
    return splits


def _read_mat(path) -> dict[str, list[np.ndarray]]:
    splits = read_mat_splits(path, MAT_KEYS, D=N_PITCHES)
    for split, key in MAT_KEYS.items():
        for i, roll in enumerate(splits[split]):
            if np.any((roll != 0) & (roll != 1)):
                raise DataError(f"{path}: '{key}' roll {i} holds values other than 0 and 1")
    return splits


def load_music(
    name: str, root: str | os.PathLike | None = None, download: bool = False, source: str = "auto"
) -> SequenceData:
    """One of the four polyphonic-music sets as piano rolls.

    Parameters
    ----------
    name : {"JSB_Chorales", "Nottingham", "MuseData", "Piano_midi"}
    root : str or PathLike, optional
        The data root (default ``$RNNRNADE_DATA``).
    download : bool
        Download an absent ``.mat`` file (the pickles cannot be: see the module docstring).
    source : {"auto", "pickle", "mat"}
        ``auto``: the pickle when it is under the root, else the ``.mat``.

    Returns
    -------
    SequenceData
        ``splits["train" | "valid" | "test"]``: lists of ``T_i x 88`` float64 0/1 rolls; ``labels`` None.

    Raises
    ------
    DataError
        Unknown ``name`` or ``source``; a missing, corrupt or malformed file; a note outside 21..108.
    """
    if name not in MUSIC:
        raise DataError(f"unknown music dataset {name!r}; known: {', '.join(MUSIC)}")
    if source not in SOURCES:
        raise DataError(f"music source must be one of {list(SOURCES)}, got {source!r}")
    entry = MUSIC[name]
    if source == "auto":
        source = "pickle" if (data_root(root) / entry.pickle).is_file() else "mat"
    if source == "pickle":
        if not (data_root(root) / entry.pickle).exists():
            raise DataError(
                f"{data_root(root) / entry.pickle} is missing; the original pickles are no longer online "
                f"(the copies here are reconstructions): use source 'mat', which can be downloaded"
            )
        path = fetch(entry.pickle, root, download=False)
        splits = _read_pickle(path)
    else:
        path = fetch(entry.mat, root, download)
        splits = _read_mat(path)
    for split, seqs in splits.items():
        logger.info("%s %s: %d sequences, %d frames (%s)", name, split, len(seqs), sum(map(len, seqs)), path)
    description = f"{entry.title} piano rolls (Boulanger-Lewandowski et al. 2012), 88 keys, from {path.name}"
    return SequenceData(splits, None, description)
