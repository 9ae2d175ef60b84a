"""Piano rolls to and from MIDI files, with pretty_midi (the ``midi`` extra: ``pip install pretty_midi``).

A roll is ``T x P`` of 0/1 (column ``j`` is MIDI note ``lowest + j``; the music sets' 88 keys start at 21);
frame ``t`` covers ``[t dt, (t + 1) dt)`` seconds. A run of consecutive on-frames of one pitch is one note,
as the RNN-RBM tutorial's ``midiwrite`` writes them.

References
----------
.. [1] N. Boulanger-Lewandowski, Y. Bengio, P. Vincent. "Modeling temporal dependencies in high-dimensional
   sequences: application to polyphonic music generation and transcription." ICML 2012 (and the Theano
   tutorial ``code/rnnrbm.py``: ``midiread(f, r=(21, 109), dt=0.3)``, ``midiwrite``).
"""

from __future__ import annotations

import os

import numpy as np

from .data.music import LOWEST, N_PITCHES
from .errors import ConfigError, DataError

__all__ = ["DT", "piano_roll_to_midi", "midi_to_piano_roll"]

DT = 0.3  # seconds per frame, the tutorial's default
VELOCITY = 100


def _pretty_midi():
    try:
        import pretty_midi
    except ImportError:
        raise ConfigError(
            "MIDI files need pretty_midi: pip install pretty_midi (or 'rnnrnade-pt[midi]')"
        ) from None
    return pretty_midi


def _check_dt(dt: float) -> float:
    if isinstance(dt, bool) or not isinstance(dt, (int, float)) or not dt > 0 or not np.isfinite(dt):
        raise ConfigError(f"MIDI frame period dt must be a positive number of seconds, got {dt!r}")
    return float(dt)


def piano_roll_to_midi(
    roll, path: str | os.PathLike, dt: float = DT, lowest: int = LOWEST, program: int = 0
) -> str:
    """Write a piano roll (``T x P``, values >= 0.5 are on) to a MIDI file, atomically.

    Parameters
    ----------
    roll : array_like
        ``T x P``; column ``j`` is MIDI note ``lowest + j`` (``lowest + P - 1 <= 127``).
    path : str or PathLike
        The ``.mid`` file.
    dt : float
        Seconds per frame.
    lowest : int
        MIDI note of column 0.
    program : int
        General MIDI program (0: acoustic grand piano).

    Returns
    -------
    str
        ``path``.
    """
    dt = _check_dt(dt)
    roll = np.asarray(roll)
    if roll.ndim != 2 or roll.shape[0] == 0 or not np.issubdtype(roll.dtype, np.number):
        raise DataError(f"a piano roll must be a non-empty T x P array of numbers, got shape {roll.shape}")
    if not np.all(np.isfinite(roll)):
        raise DataError("the piano roll holds NaN or infinite values")
    if lowest < 0 or lowest + roll.shape[1] > 128:
        raise ConfigError(f"notes {lowest}..{lowest + roll.shape[1] - 1} are outside MIDI's 0..127")
    if not 0 <= program <= 127:
        raise ConfigError(f"MIDI program must be in 0..127, got {program!r}")
    pm = _pretty_midi()
    midi = pm.PrettyMIDI()
    instrument = pm.Instrument(program=int(program))
    on = np.zeros((roll.shape[0] + 2, roll.shape[1]), dtype=np.int8)  # T+2 x P, silent frame either side
    on[1:-1] = roll >= 0.5
    edges = np.diff(on, axis=0)  # T+1 x P: +1 where a note starts, -1 where it stops
    for j in range(roll.shape[1]):
        starts, stops = np.flatnonzero(edges[:, j] == 1), np.flatnonzero(edges[:, j] == -1)
        for a, b in zip(starts, stops, strict=True):
            instrument.notes.append(pm.Note(VELOCITY, int(lowest + j), float(a * dt), float(b * dt)))
    midi.instruments.append(instrument)
    path = os.fspath(path)
    tmp = f"{path}.tmp"
    midi.write(tmp)
    os.replace(tmp, path)
    return path


def midi_to_piano_roll(
    path: str | os.PathLike, dt: float = DT, lowest: int = LOWEST, n_pitches: int = N_PITCHES
) -> np.ndarray:
    """Read a MIDI file as a piano roll ``T x n_pitches`` (float64 0/1).

    Every note of every non-drum instrument is on from frame ``round(start / dt)`` to
    ``round(end / dt)`` (exclusive; at least one frame); ``T`` is the last note's end frame.

    Raises
    ------
    DataError
        An unreadable file, or a note outside ``lowest .. lowest + n_pitches - 1`` (naming the file and note).
    """
    dt = _check_dt(dt)
    pm = _pretty_midi()
    try:
        midi = pm.PrettyMIDI(os.fspath(path))
    except Exception as e:  # mido raises OSError, EOFError, ValueError, KeyError... on bad files
        raise DataError(f"cannot read MIDI file {path}: {type(e).__name__}: {e}") from None
    notes = [n for inst in midi.instruments if not inst.is_drum for n in inst.notes]
    spans = [(n.pitch, int(round(n.start / dt)), int(round(n.end / dt))) for n in notes]
    T = max((max(b, a + 1) for _, a, b in spans), default=0)
    roll = np.zeros((T, n_pitches))  # T x P
    for pitch, a, b in spans:
        if not lowest <= pitch < lowest + n_pitches:
            raise DataError(
                f"MIDI file {path} has note {pitch} at {a * dt:.2f} s, "
                f"outside {lowest}..{lowest + n_pitches - 1}"
            )
        roll[a : max(b, a + 1), pitch - lowest] = 1.0
    return roll
