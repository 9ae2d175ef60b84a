"""The doctest collection of the package: a module whose optional library is not installed is left out
(``rnnrnade_pt/pymc.py`` needs the ``pymc`` extra). Imports nothing, so that ``tests/conftest.py`` still sets
PyTensor's flags before PyTensor is first imported."""

import importlib.util

collect_ignore = [] if importlib.util.find_spec("pymc") else ["rnnrnade_pt/pymc.py"]
