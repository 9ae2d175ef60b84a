"""``graphs/gradients.md``: the generated report of the gradient proofs, the whole-model checks and the
original code's hacks.

Numbers are written so that they reproduce across machines: differences at round-off level as their order
of magnitude (``≤ 1e-15``, ``0`` when bit-for-bit equal), relative differences of the hacks to two
significant digits. :func:`compare_reports` compares two reports exactly except for those numbers, which may
differ by one order of magnitude (or 5 %), since a different BLAS may round differently.

References
----------
.. [1] Supplementary Material for the RNN-RNADE model, "Gradients for the RNADE".
"""

from __future__ import annotations

import logging
import math
import re

import numpy as np

from ..config import ModelConfig
from ..data.arrays import lengths_to_mask
from ..models import init_params
from .proof_cases import PROOF_SIZES, prove_formulas
from .proofs import NUMERICAL, STRUCTURAL, SYMPY, FormulaProof

__all__ = [
    "REPORT_SIZES",
    "fmt_decade",
    "fmt_relative",
    "report_models",
    "model_checks",
    "hack_checks",
    "gradients_markdown",
    "compare_reports",
]

logger = logging.getLogger(__name__)

REPORT_SIZES = dict(D=3, H=4, K=2, R=3)
"""Sizes of the whole models of sections 2 and 3."""

FD_EPS = 1e-5
FD_DIRECTIONS = 3
OUTLIER = 1000.0


def fmt_decade(x: float) -> str:
    """``0`` for exact equality, else the next power of ten at or above ``x`` (``≤ 1e-15``)."""
    if x == 0:
        return "0"
    if not math.isfinite(x):
        return "nan"
    e = math.ceil(math.log10(x) - 1e-12)
    return f"≤ 1e{e}"


def fmt_relative(x: float) -> str:
    """A relative difference: ``0`` (unchanged), ``< 1e-12`` (round-off), else two significant digits."""
    if x == 0:
        return "0"
    if x < 1e-12:
        return "< 1e-12"
    return f"{x:.2g}"


# -- data -------------------------------------------------------------------------------------------------


def report_models(seed: int = 1) -> list[tuple[ModelConfig, dict, np.ndarray, np.ndarray | None]]:
    """The two default models of sections 2 and 3 with their parameters and data.

    Parameters are :func:`~rnnrnade_pt.params.init_params` at scale 0.5 (larger than the training
    initialisation, so that every term of the gradient matters); data are standard normal, RNN-RNADE in a
    batch of two sequences of lengths 4 and 3.
    """
    rng = np.random.default_rng(seed)
    out = []
    for model in ("rnade", "rnn-rnade"):
        cfg = ModelConfig.from_options(model, **REPORT_SIZES)
        values = init_params(cfg, seed=seed, scale=0.5)
        if cfg.recurrent:
            X, mask = rng.standard_normal((4, 2, cfg.D)), lengths_to_mask(np.array([4, 3]), 4)
        else:
            X, mask = rng.standard_normal((6, cfg.D)), None
        out.append((cfg, values, X, mask))
    return out


def model_checks(seed: int = 1) -> dict[str, dict]:
    """Section 2: for each model, per parameter, ``pytensor.grad`` vs the explicit gradient and both vs
    central finite differences (:mod:`.diagnostics` on a :class:`~rnnrnade_pt.density_model.DensityModel`)."""
    from ..density_model import Rnade, RnnRnade
    from .diagnostics import compare_gradient_methods, finite_difference_check

    out = {}
    for cfg, values, X, mask in report_models(seed):
        model = (RnnRnade if cfg.recurrent else Rnade)(cfg, values, backend="c")
        methods = compare_gradient_methods(model, X, mask)
        fd = {
            m: finite_difference_check(
                model, X, mask, method=m, n_directions=FD_DIRECTIONS, eps=FD_EPS, seed=seed
            )
            for m in ("symbolic", "explicit")
        }
        out[cfg.model] = {
            n: {
                "shape": values[n].shape,
                "max_abs": methods[n]["max_abs"],
                "rel": methods[n]["rel"],
                "fd_symbolic": fd["symbolic"][n]["rel_error"],
                "fd_explicit": fd["explicit"][n]["rel_error"],
            }
            for n in values
        }
    return out


def hack_checks(seed: int = 1) -> dict[str, dict]:
    """Section 3: per model, hack and data set, the relative difference from the true gradient."""
    from .hacks import hack_function

    out = {}
    for cfg, values, X, mask in report_models(seed):
        outlier = np.array(X, copy=True)
        outlier[(0, 1) if not cfg.recurrent else (1, 0, 1)] = OUTLIER
        differences = hack_function(cfg, values)
        typical, extreme = differences(X, mask), differences(outlier, mask)
        out[cfg.model] = {
            "sigma_scaled_mu": typical["sigma_scaled_mu"],
            "floor_typical": typical["logdensity_floor=-100"],
            "floor_outlier": extreme["logdensity_floor=-100"],
        }
    return out


# -- markdown ---------------------------------------------------------------------------------------------

_METHODS_TEXT = f"""\
How each formula was established, strongest first:

- **{STRUCTURAL}**: `equal_computations` on the two graphs, before any rewrite or after
  `rewrite_graph(..., include=("canonicalize", "stabilize", "specialize"))`, up to the order of the terms of a
  sum. The formula reuses `pytensor.grad`'s node for the upstream gradient (`∂log p/∂z` etc.), as the
  supplement's chain rule does.
- **{SYMPY}**: both graphs translated to SymPy (`rnnrnade_pt/graphtools/sympy_bridge.py`, scans stepped in
  Python) with every input a free real symbol, and `simplify(a − b) == 0` for every entry. Where the formula
  is backpropagation through a linear map (the accumulator `a_d`, the RNN's backward pass), the gradient is
  taken of `Σ G ⊙ output` with a free symbolic `G`; backpropagation is linear in the incoming gradient, so
  this proves the formula for every upstream gradient.
- **{NUMERICAL}**: neither of the above; only the compiled graphs agree on random inputs.
"""


def _md_escape(s: str) -> str:
    return s.replace("|", "\\|")


def formula_section(proofs: list[FormulaProof]) -> str:
    """Section 1: one row per formula."""
    lines = [
        "## 1. Formula by formula",
        "",
        _METHODS_TEXT,
        "The pieces, at sizes "
        + ", ".join(f"{k} = {v}" for k, v in PROOF_SIZES.items())
        + " (`rnnrnade_pt/graphtools/proof_cases.py`), are built from the package's own functions. The last "
        "column is the largest difference between `pytensor.grad`'s graph and the formula's (and the "
        "explicit code's) when compiled with backend `c`, float64, over two random draws of the inputs. The "
        "supplement writes `∂p(x)/∂·` for the derivative of `log p(x)`; `⊗` is the outer product.",
        "",
        "| # | model | piece | gradient | the supplement's formula | `pytensor.grad` = formula "
        "| the package's explicit code | largest difference |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for i, p in enumerate(proofs, 1):
        explicit = (
            f"{p.explicit_method} (`{p.explicit_source}`)" if p.explicit_method else "inline; numerical (§2)"
        )
        lines.append(
            f"| {i} | {p.model} | {p.case} | `{_md_escape(p.gradient)}` | `{_md_escape(p.supplement)}` | "
            f"{p.method} | {explicit} | {fmt_decade(p.max_abs)} |"
        )
    numerical = [p for p in proofs if p.method == NUMERICAL]
    failed = [p for p in proofs if not p.proved]
    lines += [
        "",
        "**Confirmed only numerically:** " + (", ".join(f"`{p.gradient}`" for p in numerical) or "none."),
    ]
    if failed:
        lines += ["", "**NOT PROVEN:** " + "; ".join(f"`{p.key}` ({p.method}: {p.detail})" for p in failed)]
    lines += [
        "",
        "Where the package's explicit gradient computes a quantity inline, inside the batched graph of "
        "`rnade_explicit_grads` (`V`, `b`, `h`, `ρ`: every dimension and row at once) or of "
        "`models/rnn_rnade.py` (`W^α`, `W^μ`, `W^σ`, `e_t`), it is confirmed only numerically, in section 2: "
        "the whole model's expression is far too large for SymPy, and the batched graph is a different "
        "computation from `pytensor.grad`'s (matrix products over all dimensions, sums in another order), "
        "so no rewrite makes the two structurally equal.",
        "",
    ]
    return "\n".join(lines)


def model_section(checks: dict[str, dict]) -> str:
    """Section 2: every parameter of the whole models."""
    lines = [
        "## 2. Whole models, every parameter",
        "",
        "Both models with default options at "
        + ", ".join(f"{k} = {v}" for k, v in REPORT_SIZES.items())
        + ", parameters `init_params(scale=0.5)`, standard-normal data (RNADE: 6 rows; RNN-RNADE: two "
        "sequences of lengths 4 and 3, padded to 4), the fast graph on backend `c`, float64. Columns: the "
        "largest absolute difference between `pytensor.grad` and the explicit gradient, the same relative to "
        f"the largest entry, and the largest relative error of central differences (step {FD_EPS:g}, "
        f"{FD_DIRECTIONS} random unit directions per parameter) against each gradient "
        "(`rnnrnade_pt.graphtools.diagnostics`).",
        "",
        "| model | parameter | shape | grad vs explicit, abs | relative | central differences vs grad | vs "
        "explicit |",
        "|---|---|---|---|---|---|---|",
    ]
    for model, params in checks.items():
        for n, c in params.items():
            shape = " x ".join(map(str, c["shape"]))
            lines.append(
                f"| {model} | `{n}` | {shape} | {fmt_decade(c['max_abs'])} | {fmt_decade(c['rel'])} | "
                f"{fmt_decade(c['fd_symbolic'])} | {fmt_decade(c['fd_explicit'])} |"
            )
    lines.append("")
    return "\n".join(lines)


def hack_section(checks: dict[str, dict]) -> str:
    """Section 3: the original code's hacks against the true gradient."""
    lines = [
        "## 3. The original code's hacks",
        "",
        "Uria's hand-written gradient (`MoGNADE.sym_gradients_new`) multiplies the mean's gradient by σ "
        "(`dp_dz_mu * Sigma  # Heuristic`) and floors the weighted log-densities behind the responsibilities "
        "(`wPhi = maximum(Phi + log(Alpha), -100)`). Both are options of the explicit gradient, off by "
        "default: "
        "`explicit_gradients(g, sigma_scaled_mu=True)`, `explicit_gradients(g, logdensity_floor=-100.0)`. "
        "Each column is `‖g_hack − g‖ / ‖g‖` per parameter, with `g` the true gradient, on the models and "
        "data "
        f"of section 2; the last column replaces one value of the data by {OUTLIER:g}, far outside every "
        "component (`rnnrnade_pt.graphtools.hacks`).",
        "",
        "| model | parameter | `sigma_scaled_mu` | `logdensity_floor=-100` | the same, with an outlier |",
        "|---|---|---|---|---|",
    ]
    for model, c in checks.items():
        for n in c["sigma_scaled_mu"]:
            lines.append(
                f"| {model} | `{n}` | {fmt_relative(c['sigma_scaled_mu'][n])} | "
                f"{fmt_relative(c['floor_typical'][n])} | {fmt_relative(c['floor_outlier'][n])} |"
            )
    lines += [
        "",
        "The σ-scaling changes `V_mu`, `b_mu` and everything the mean's gradient reaches through `h` "
        "(`ρ`, `W`, "
        "`c`, and in RNN-RNADE `W_mu` and the RNN), not the mixing weights' or the widths' output layers; it "
        "is not the gradient of any objective in general. The floor is exact on ordinary data (no weighted "
        "log-density is below −100) and changes every gradient when one value is an outlier: the "
        "responsibilities of the components become equal instead of concentrating on the least bad one.",
        "",
    ]
    return "\n".join(lines)


def gradients_markdown(
    proofs: list[FormulaProof] | None = None, models: dict | None = None, hacks: dict | None = None
) -> str:
    """The whole of ``graphs/gradients.md`` (computes what is not given)."""
    proofs = prove_formulas() if proofs is None else proofs
    models = model_checks() if models is None else models
    hacks = hack_checks() if hacks is None else hacks
    head = [
        "# Gradients: `pytensor.grad` against the supplement's formulas",
        "",
        "Generated by `python -m rnnrnade_pt.graphtools.regenerate` (`rnnrnade_pt/graphtools/report.py`); "
        "do not edit. "
        "`tests/test_graphtools.py` regenerates it and fails when it differs from this file (numbers may "
        "differ by one order of magnitude between machines). Differences are given as orders of magnitude "
        "(`≤ 1e-15`: at most 10⁻¹⁵; `0`: bit for bit equal).",
        "",
    ]
    return (
        "\n".join(head)
        + "\n"
        + formula_section(proofs)
        + "\n"
        + model_section(models)
        + "\n"
        + hack_section(hacks)
    )


# -- comparing -------------------------------------------------------------------------------------------

_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_DECADE = re.compile(r"^≤ 1e(-?\d+)$")


def _decade(cell: str) -> float | None:
    if cell == "0":
        return -math.inf
    if cell == "< 1e-12":
        return -12.0
    m = _DECADE.match(cell)
    return float(m.group(1)) if m else None


def _cells_match(x: str, y: str) -> bool:
    if x == y:
        return True
    dx, dy = _decade(x), _decade(y)
    if dx is not None and dy is not None:
        if "0" in (x, y):  # bit for bit equal here, round-off there
            return max(dx, dy) <= -15 or "< 1e-12" in (x, y)
        if "< 1e-12" in (x, y):
            return max(dx, dy) <= -12
        return abs(dx - dy) <= 1
    try:
        u, v = float(x), float(y)
    except ValueError:
        return False
    return abs(u - v) <= 0.05 * max(abs(u), abs(v))


def compare_reports(expected: str, actual: str) -> list[str]:
    """Differences between two reports. Text must be equal; in table cells, orders of magnitude may move by
    one (``≤ 1e-15`` vs ``≤ 1e-14``), ``0`` (bit for bit equal) may become ``≤ 1e-15`` or less, ``< 1e-12``
    anything at or below 1e-12, and decimals may move by 5 %, since another machine's BLAS may round
    differently.

    Returns
    -------
    list of str
        One line per difference (empty: the reports match).
    """
    a, b = expected.splitlines(), actual.splitlines()
    out = []
    if len(a) != len(b):
        out.append(f"line count differs: {len(a)} vs {len(b)}")
    for i, (x, y) in enumerate(zip(a, b, strict=False), 1):
        if x == y:
            continue
        cx, cy = [c.strip() for c in _CELL_SPLIT.split(x)], [c.strip() for c in _CELL_SPLIT.split(y)]
        if not x.startswith("|") or len(cx) != len(cy):
            out.append(f"line {i}: {x!r} vs {y!r}")
            continue
        bad = [(u, v) for u, v in zip(cx, cy, strict=True) if not _cells_match(u, v)]
        if bad:
            out.append(f"line {i}: {bad[0][0]!r} vs {bad[0][1]!r} in {x!r}")
    return out
