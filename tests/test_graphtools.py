"""Symbolic inspection: graph snapshots, the formula-by-formula gradient proofs and their report, the SymPy
translation, the original code's hacks as options, printing and drawing, gradient diagnostics.

The report (``graphs/gradients.md``) is regenerated once per session and compared with the committed file;
the other tests read its results. Float64 throughout, tiny sizes.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from pytensor.graph.basic import equal_computations

import rnnrnade_pt as rp
from rnnrnade_pt.compat import PROOFS_SUPPORTED
from rnnrnade_pt.data.arrays import lengths_to_mask
from rnnrnade_pt.errors import ConfigError
from rnnrnade_pt.graphtools import diagnostics, printing, proof_cases, proofs, report, snapshots
from rnnrnade_pt.graphtools.regenerate import main as regenerate_main
from rnnrnade_pt.graphtools.sympy_algebra import arrays_equal, require_sympy, symbols_for, sympy_constant
from rnnrnade_pt.graphtools.sympy_bridge import UnsupportedOpError, to_sympy

needs_sympy = pytest.mark.skipif(
    importlib.util.find_spec("sympy") is None, reason="SymPy not installed (pip install 'rnnrnade-pt[dev]')"
)

REGENERATE = "python -m rnnrnade_pt.graphtools.regenerate"


# -- snapshots -------------------------------------------------------------------------------------


def test_graph_snapshots_match_the_committed_files():
    stale = snapshots.stale_snapshots()
    if stale:
        recorded = {
            snapshots.pytensor_version_of((snapshots.graphs_dir() / n).read_text("utf-8"))
            for n in stale
            if (snapshots.graphs_dir() / n).exists()
        }
        if recorded and recorded != {pytensor.__version__}:
            pytest.skip(
                f"graphs/ snapshots were made with pytensor {sorted(recorded)}, "
                f"this is {pytensor.__version__}; run {REGENERATE} to compare"
            )
    assert not stale, (
        f"graphs/ snapshots are out of date: {stale}. Run `{REGENERATE}` and review the diff of graphs/."
    )


def test_snapshot_text_is_the_same_in_another_process():
    here = snapshots.snapshot_text("rnn-rnade", "fast", "grad")
    code = (
        "import sys; from rnnrnade_pt.graphtools.snapshots import snapshot_text; "
        "sys.stdout.write(snapshot_text('rnn-rnade', 'fast', 'grad'))"
    )
    env = dict(os.environ, PYTHONHASHSEED="12345")
    there = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert there.stdout == here
    assert "0x" not in here and " at 0x" not in here


def test_snapshots_cover_every_model_graph_and_target():
    names = [snapshots.snapshot_name(*s) for s in snapshots.SNAPSHOTS]
    assert len(names) == 14 and "rnn-rnade_scan_grad.txt" in names and "rnade_scan_explicit.txt" not in names
    assert "rnade_fused_explicit.txt" not in names
    fused = snapshots.snapshot_text("rnn-rnade", "fused", "grad")  # the C Ops and their gradient Ops
    assert all(op in fused for op in ("FusedFrameGrad{", "FusedMixtureGrad{mixture='gaussian'}"))
    text = snapshots.snapshot_text("rnn-rnade", "scan", "grad")
    assert text.startswith("# rnn-rnade, scan graph: pytensor.grad")
    assert snapshots.pytensor_version_of(text) == pytensor.__version__
    for name in rp.param_shapes(printing.model_config("rnn-rnade")):
        assert f"'dtotal/d{name}'" in text
    assert "Inner graphs:" in text and "Scan{rnnrnade_time" in text


def test_regenerate_writes_and_checks_snapshots(tmp_path, capsys):
    assert regenerate_main(["--out", str(tmp_path), "--snapshots-only"]) == 0
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(snapshots.snapshot_name(*s) for s in snapshots.SNAPSHOTS)
    path = tmp_path / "rnade_fast_cost.txt"
    path.write_text(path.read_text("utf-8").replace("Sigmoid", "Tanh"), "utf-8")
    assert regenerate_main(["--out", str(tmp_path), "--snapshots-only", "--check"]) == 1
    assert REGENERATE in capsys.readouterr().out


# -- the report ------------------------------------------------------------------------------------


needs_proofs = pytest.mark.skipif(
    not PROOFS_SUPPORTED,
    reason=f"the gradient proofs follow PyTensor 3.0's rewrites and Scan; this is {pytensor.__version__}",
)


@pytest.fixture(scope="session")
def regenerated():
    proven = proof_cases.prove_formulas()
    models = report.model_checks()
    hacks = report.hack_checks()
    return proven, models, hacks, report.gradients_markdown(proven, models, hacks)


@needs_proofs
@needs_sympy
def test_gradients_md_matches_the_committed_file(regenerated):
    committed = (snapshots.graphs_dir() / "gradients.md").read_text("utf-8")
    diffs = report.compare_reports(committed, regenerated[3])
    assert not diffs, (
        f"graphs/gradients.md is out of date ({diffs[:3]}). Run `{REGENERATE}` and review the diff."
    )


EXPECTED_METHODS = {
    "dz_alpha": ("SymPy", "SymPy"),
    "dz_mu": ("SymPy", "SymPy"),
    "dz_sigma": ("SymPy", "SymPy"),
    "dV_alpha": ("structural", ""),
    "dV_mu": ("structural", ""),
    "dV_sigma": ("structural", ""),
    "db_alpha": ("structural", ""),
    "db_mu": ("structural", ""),
    "db_sigma": ("structural", ""),
    "dh": ("structural", ""),
    "dpsi": ("structural", ""),
    "drho": ("structural", ""),
    "da": ("structural", ""),
    "dc": ("SymPy", "SymPy"),
    "dW": ("SymPy", "SymPy"),
    "dW_alpha": ("SymPy", ""),
    "dW_mu": ("SymPy", ""),
    "dW_sigma": ("SymPy", ""),
    "dhhat_prev": ("SymPy", ""),
    "db_hhat": ("SymPy", "SymPy"),
    "dW2": ("SymPy", "SymPy"),
    "dW3": ("SymPy", "SymPy"),
    "dh0": ("SymPy", "SymPy"),
}


@needs_proofs
@needs_sympy
def test_every_formula_is_proven_by_the_expected_method(regenerated):
    proven = {p.key: p for p in regenerated[0]}
    assert set(proven) == set(EXPECTED_METHODS)
    for key, (method, explicit) in EXPECTED_METHODS.items():
        p = proven[key]
        assert p.proved, (key, p.detail)
        assert (p.method, p.explicit_method) == (method, explicit), key
        assert p.max_rel <= 1e-12, key


@needs_proofs
@needs_sympy
def test_whole_models_every_parameter(regenerated):
    models = regenerated[1]
    assert set(models) == {"rnade", "rnn-rnade"}
    assert set(models["rnn-rnade"]) == set(
        rp.param_shapes(rp.ModelConfig(model="rnn-rnade", **report.REPORT_SIZES))
    )
    for params in models.values():
        for name, c in params.items():
            assert c["rel"] <= 1e-12, name
            assert c["fd_symbolic"] <= 1e-5 and c["fd_explicit"] <= 1e-5, name


@needs_proofs
@needs_sympy
def test_hacks_change_what_they_should(regenerated):
    for model, c in regenerated[2].items():
        s = c["sigma_scaled_mu"]
        assert s["V_mu"] > 0.01 and s["b_mu"] > 0.01 and s["rho"] > 0.001, model
        for name in ("V_alpha", "b_alpha", "V_sigma", "b_sigma"):
            assert s[name] == 0.0, (model, name)
        assert max(c["floor_typical"].values()) < 1e-12, model
        assert c["floor_outlier"]["b_alpha"] > 0.01 and c["floor_outlier"]["V_sigma"] > 0.01, model


def test_report_comparison_tolerates_one_decade_only():
    base = "| x | `W` | ≤ 1e-15 | 0.53 | 0 |\ntext\n"
    assert report.compare_reports(base, base.replace("≤ 1e-15", "≤ 1e-14")) == []
    assert report.compare_reports(base, base.replace("0.53", "0.54")) == []
    assert report.compare_reports(base, base.replace("| 0 |", "| ≤ 1e-16 |")) == []
    assert report.compare_reports(base, base.replace("≤ 1e-15", "≤ 1e-13"))
    assert report.compare_reports(base, base.replace("| 0 |", "| ≤ 1e-13 |"))
    assert report.compare_reports(base, base.replace("0.53", "0.8"))
    assert report.compare_reports(base, base.replace("text", "texts"))
    assert report.fmt_decade(3e-16) == "≤ 1e-15" and report.fmt_decade(1e-15) == "≤ 1e-15"
    assert report.fmt_decade(0.0) == "0" and report.fmt_relative(0.26) == "0.26"


# -- proofs can fail -------------------------------------------------------------------------------


def _mixture_inputs():
    x = pt.tensor("x", shape=(), dtype="float64")
    za, mu, zs = (pt.tensor(n, shape=(2,), dtype="float64") for n in ("z_alpha", "mu", "z_sigma"))
    return x, za, mu, zs


@needs_proofs
@needs_sympy
def test_a_wrong_formula_is_not_proven():
    from rnnrnade_pt.ops import mixture_logpdf

    x, za, mu, zs = _mixture_inputs()
    logp = mixture_logpdf(x, za, mu, zs).logp
    d_alpha, d_mu = pytensor.grad(logp, [za, mu])
    alpha = pt.exp(za) / pt.exp(za).sum()
    sigma = pt.exp(zs)
    phi = pt.exp(-((x - mu) ** 2) / (2 * sigma**2)) / sigma
    pi = alpha * phi / (alpha * phi).sum()
    rows = [
        proofs.Row("sign", "∂/∂z^α", "π + α (wrong)", d_alpha, pi + alpha),
        proofs.Row("power", "∂/∂z^μ", "π (x − μ) / σ (wrong)", d_mu, pi * (x - mu) / sigma),
        proofs.Row("right", "∂/∂z^μ", "π (x − μ) / σ²", d_mu, pi * (x - mu) / sigma**2),
    ]
    case = proofs.Case("test", "RNADE", "wrong formulas", [x, za, mu, zs], {}, rows)
    out = {p.key: p for p in proofs.prove_case(case)}
    for key in ("sign", "power"):
        assert out[key].method == proofs.NOT_PROVED and not out[key].proved, key
        assert "SymPy" in out[key].detail and out[key].max_rel > 1e-3
    assert out["right"].method == proofs.SYMPY and out["right"].proved


@needs_proofs
def test_structural_check_distinguishes_and_does_not_rewrite_in_place():
    h = pt.tensor("h", shape=(3,), dtype="float64")
    V = pt.tensor("V", shape=(3, 2), dtype="float64")
    z = pt.dot(h, V)
    logp = pt.logsumexp(z)
    dz, dV = pytensor.grad(logp, [z, V])
    before = printing.debugprint_text(dV)
    assert proofs.structurally_equal(dV, pt.outer(h, dz))
    assert not proofs.structurally_equal(dV, pt.outer(h, 2 * dz))
    assert printing.debugprint_text(dV) == before
    a, b, c = (pt.tensor(n, shape=(2,), dtype="float64") for n in "abc")
    assert proofs.structurally_equal(a + c + b, proofs.Addends([a, b, c]))


# -- SymPy translation -----------------------------------------------------------------------------


@needs_proofs
@needs_sympy
def test_sympy_translation_of_elementwise_ops_and_a_scan():
    import sympy

    x = pt.tensor("x", shape=(2,), dtype="float64")
    (g,) = pytensor.grad(pt.sigmoid(x).sum() + pt.softplus(x[0]), [x])
    sx = symbols_for(x)
    (got,) = to_sympy([g], {x: sx})
    s = [1 / (1 + sympy.exp(-v)) for v in sx]
    expected = np.array([s[0] * (1 - s[0]) + s[0], s[1] * (1 - s[1])], dtype=object)
    assert arrays_equal(got, expected) == (True, "")
    assert not arrays_equal(got, expected[::-1])[0]

    ys = pytensor.scan(
        lambda v, acc: acc * v,
        sequences=[x],
        outputs_info=[pt.constant(1.0, dtype="float64")],
        return_updates=False,
    )
    (prod, dprod) = to_sympy([ys[-1], pytensor.grad(ys[-1], x)], {x: sx})
    assert sympy.simplify(prod[()] - sx[0] * sx[1]) == 0
    assert arrays_equal(dprod, np.array([sx[1], sx[0]], dtype=object)) == (True, "")


@needs_proofs
@needs_sympy
def test_sympy_constants_are_exact_and_unknown_ops_are_named():
    import sympy

    assert sympy_constant(-0.5 * float(np.log(2 * np.pi))) == -sympy.log(2 * sympy.pi) / 2
    assert sympy_constant(0.25) == sympy.Rational(1, 4)
    x = pt.tensor("x", shape=(2,), dtype="float64")
    with pytest.raises(UnsupportedOpError, match="GammaLn|Gammaln|gammaln"):
        to_sympy([pt.gammaln(x)], {x: symbols_for(x)})


def test_missing_sympy_is_a_config_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "sympy", None)
    with pytest.raises(ConfigError, match=r"rnnrnade-pt\[graph\]"):
        require_sympy()


# -- the hacks as options --------------------------------------------------------------------------


def test_hack_options_are_off_by_default_and_do_what_the_original_did():
    from rnnrnade_pt.kernels.rnade_grads import rnade_explicit_grads

    cfg = rp.ModelConfig(model="rnade", D=3, H=4, K=2)
    values = rp.init_params(cfg, seed=3, scale=0.5)
    g = rp.build(cfg, rp.shared_params(cfg, values), "fast")
    default = rp.explicit_gradients(g)
    off = rp.explicit_gradients(g, sigma_scaled_mu=False, logdensity_floor=None)
    assert all(equal_computations([default[n]], [off[n]]) for n in default)
    true = rnade_explicit_grads(g.params, g.terms)
    scaled = rnade_explicit_grads(g.params, g.terms, sigma_scaled_mu=True)
    floored = rnade_explicit_grads(g.params, g.terms, logdensity_floor=-100.0)
    outs = [true.dz_mu, scaled.dz_mu, g.terms.z_sigma, true.dz_alpha, floored.dz_alpha, g.terms.log_alpha]
    fn = rp.backend.compile_function([g.X], outs, backend="c")
    X = np.random.default_rng(0).standard_normal((5, 3))
    dz_mu, dz_mu_scaled, z_sigma, dz_alpha, dz_alpha_floor, log_alpha = fn(X)
    np.testing.assert_allclose(dz_mu_scaled, dz_mu * np.exp(z_sigma), rtol=1e-12)
    np.testing.assert_allclose(dz_alpha_floor, dz_alpha, rtol=1e-13, atol=1e-15)  # nothing below -100
    X[2, 1] = 1e4  # an outlier: every component far below the floor, responsibilities become equal
    _, _, _, dz_alpha, dz_alpha_floor, log_alpha = fn(X)
    np.testing.assert_allclose(dz_alpha_floor[1, 2], 0.5 - np.exp(log_alpha[1, 2]), rtol=1e-12)
    assert np.max(np.abs(dz_alpha_floor[1, 2] - dz_alpha[1, 2])) > 1e-3


# -- printing and drawing --------------------------------------------------------------------------


def test_graph_text_targets_params_and_errors():
    cost = printing.graph_text("rnade", "cost")
    assert "'cost'" in cost and "Scan{rnade_accumulators" in cost
    grad = printing.graph_text("rnade", "grad", param="rho")
    assert "'dtotal/drho'" in grad and "'dtotal/dW'" not in grad
    assert "'explicit/dV_mu'" in printing.graph_text("rnade", "explicit", param="V_mu")
    assert "Scan{rnade_dims" in printing.graph_text("rnade", "grad", param="rho", graph="scan")
    for args, match in [
        (("rnade", "explicit", None, "scan"), "fast graph"),
        (("rnade", "hessian"), "target"),
        (("rnade", "grad", "W2"), "unknown parameter"),
        (("nade", "cost"), "model"),
        (("rnade", "cost", None, "loop"), "graph"),
    ]:
        with pytest.raises(ConfigError, match=match):
            printing.graph_text(*args)


def test_compiled_text_is_the_c_backend_graph():
    text = printing.graph_text("rnade", "compiled", param="rho")
    assert "'total'" in text and "Composite{" in text  # fused by the C backend's rewrites
    assert text != printing.graph_text("rnade", "grad", param="rho")


def test_write_svg_or_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(printing.shutil, "which", lambda name: None)
    with pytest.raises(ConfigError, match=r"rnnrnade-pt\[graph\].*scripts/setup_system\.sh"):
        printing.graph_svg("rnade", "cost", tmp_path / "x.svg")
    monkeypatch.undo()
    if not printing.importlib.util.find_spec("pydot") or not printing.shutil.which("dot"):
        pytest.skip("pydot or Graphviz's dot not installed")
    path = printing.graph_svg("rnade", "cost", tmp_path / "cost.svg")
    assert "<svg" in path.read_text("utf-8")


# -- diagnostics -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_rnnrnade():
    cfg = rp.ModelConfig(model="rnn-rnade", D=3, H=4, K=2, R=3)
    model = rp.RnnRnade(cfg, rp.init_params(cfg, seed=5, scale=0.5))
    rng = np.random.default_rng(6)
    return model, rng.standard_normal((4, 2, 3)), lengths_to_mask(np.array([4, 2]), 4)


def test_gradient_norms(small_rnnrnade):
    model, X, mask = small_rnnrnade
    norms = diagnostics.gradient_norms(model, X, mask)
    _, grads = model.gradients(X, mask)
    for name, g in grads.items():
        assert norms[name] == pytest.approx(np.linalg.norm(g) / 6, rel=1e-12)
    assert norms["global"] == pytest.approx(
        np.sqrt(sum(np.sum(g * g) for g in grads.values())) / 6, rel=1e-12
    )
    total = diagnostics.gradient_norms(model, X, mask, per_frame=False)
    assert total["W"] == pytest.approx(6 * norms["W"], rel=1e-12)


def test_finite_difference_check_passes_restores_and_can_fail(small_rnnrnade, monkeypatch):
    model, X, mask = small_rnnrnade
    before = model.get_params()
    check = diagnostics.finite_difference_check(model, X, mask, n_directions=2)
    assert set(check) == set(before)
    assert diagnostics.max_rel_error(check) < 1e-5
    assert all(len(c["analytic"]) == 2 and len(c["numeric"]) == 2 for c in check.values())
    after = model.get_params()
    assert all(np.array_equal(before[n], after[n]) for n in before)

    real = model.gradients

    def wrong(*args, **kwargs):
        total, grads = real(*args, **kwargs)
        return total, {n: g * (1.01 if n == "W3" else 1.0) for n, g in grads.items()}

    monkeypatch.setattr(model, "gradients", wrong)
    bad = diagnostics.finite_difference_check(model, X, mask, n_directions=1)
    assert bad["W3"]["rel_error"] > 1e-4 and bad["W"]["rel_error"] < 1e-5  # 1% off: far above 1e-5
