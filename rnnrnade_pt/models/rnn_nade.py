"""RNN-NADE (being written: see the issue)."""

__all__ = ["build", "param_shapes", "init_params"]


def build(cfg, params=None, graph="fast", shape=None):
    raise NotImplementedError("RNN-NADE is not written yet")


def param_shapes(cfg):
    raise NotImplementedError("RNN-NADE is not written yet")


def init_params(cfg, rng, scale):
    raise NotImplementedError("RNN-NADE is not written yet")
