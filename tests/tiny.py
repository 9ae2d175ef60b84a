"""The tiny bouncing-balls run shared by the training and backend tests (compiles in seconds)."""

import json

from rnnrnade_pt.config import RunConfig

TINY = {
    "model": {"model": "rnn-rnade", "D": 9, "H": 4, "K": 2, "R": 3},
    "train": {"epochs": 3, "batch_size": 4, "window": 10, "lr": 0.01, "seed": 3},
    "data": {
        "dataset": "balls",
        "n_train": 10,
        "n_valid": 3,
        "n_test": 3,
        "length": 20,
        "res": 3,
        "jitter": 0.05,
    },
}


def tiny(**changes) -> RunConfig:
    """The tiny run, with ``{"section.key": value}`` overrides."""
    return RunConfig.from_dict(json.loads(json.dumps(TINY))).with_overrides(list(changes.items()))
