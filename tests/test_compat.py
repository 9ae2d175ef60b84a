"""rnnrnade_pt.compat: the one place where PyTensor 3.0 and 2.38 differ; these run under both (the 2.38 run:
scripts/test_pymc.sh)."""

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest

from rnnrnade_pt.compat import DPRINT_INNER_GRAPHS, PROOFS_SUPPORTED, draw, isfinite
from rnnrnade_pt.errors import ConfigError
from rnnrnade_pt.graphtools import proofs
from rnnrnade_pt.kernels.ais_math import logit


def test_draw_returns_the_next_generator_and_the_draw():
    rng = pytensor.shared(np.random.default_rng(3))
    next_rng, u = draw(pt.random.uniform, 0.0, 1.0, rng=rng, size=(4,))
    f = pytensor.function([], u, updates={rng: next_rng}, mode="FAST_COMPILE")
    first, second = f(), f()
    want = np.random.default_rng(3)
    assert np.array_equal(first, want.uniform(0.0, 1.0, 4))  # NumPy's own stream, advanced in place
    assert np.array_equal(second, want.uniform(0.0, 1.0, 4))


def test_the_packages_ops_have_a_gradient():
    x = pt.dvector("x")
    g = pytensor.grad(logit(x).sum(), x)  # pullback, reached through L_op under 2.38
    v = np.array([0.2, 0.5, 0.9])
    np.testing.assert_allclose(g.eval({x: v}), 1 / (v * (1 - v)), rtol=1e-12)


def test_isfinite_and_debugprint_of_inner_graphs():
    x = pt.dvector("x")
    assert isfinite(x).eval({x: [0.0, np.inf, np.nan, -1.0]}).tolist() == [True, False, False, True]
    ys = pytensor.scan(lambda a: a * 2, sequences=[x], return_updates=False)
    text = pytensor.dprint(ys, file="str", **DPRINT_INNER_GRAPHS)
    assert "Inner graphs" in text


def test_the_gradient_proofs_run_on_pytensor_3_and_refuse_in_one_line_before():
    a = pt.dvector("a")
    if PROOFS_SUPPORTED:
        assert proofs.structurally_equal(2 * a, 2 * a)
        return
    with pytest.raises(ConfigError, match="follows PyTensor 3.0's rewrites") as e:
        proofs.structurally_equal(2 * a, 2 * a)
    assert "\n" not in str(e.value)
