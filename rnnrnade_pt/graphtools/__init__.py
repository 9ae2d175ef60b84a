"""Symbolic inspection of the models' graphs: printing, snapshots, gradient proofs and diagnostics.

=========================  ================================================================================
module                     what
=========================  ================================================================================
:mod:`.printing`           debugprint text of the cost, ``pytensor.grad``'s and the explicit gradient, and
                           compiled functions; :func:`graph_text` for ``rnnrnade graph``; SVG via pydot
:mod:`.snapshots`          the committed ``graphs/<model>_<graph>_<target>.txt`` files
:mod:`.sympy_algebra`      SymPy symbols, exact constants, equality of arrays of expressions
:mod:`.sympy_bridge`       PyTensor graph (scans included) to SymPy expressions
:mod:`.proofs`             how a formula is proven: structural, SymPy, numerical
:mod:`.proof_cases`        the pieces of the model and their formulas; :func:`prove_formulas`
:mod:`.diagnostics`        gradient norms and finite-difference checks on a ``DensityModel``
:mod:`.hacks`              the original code's gradient hacks against the true gradient
:mod:`.report`             ``graphs/gradients.md``
:mod:`.regenerate`         ``python -m rnnrnade_pt.graphtools.regenerate`` writes everything under ``graphs/``
=========================  ================================================================================

References
----------
.. [1] Supplementary Material for the RNN-RNADE model, "Gradients for the RNADE".
.. [2] PyTensor documentation, "Printing and Drawing PyTensor graphs".
"""

from .diagnostics import compare_gradient_methods, finite_difference_check, gradient_norms, max_rel_error
from .hacks import HACKS, hack_differences, hack_function
from .printing import (
    TARGETS,
    compiled_text,
    cost_text,
    debugprint_text,
    explicit_text,
    grad_text,
    graph_svg,
    graph_text,
    write_svg,
)
from .proof_cases import prove_formulas
from .proofs import FormulaProof
from .report import compare_reports, gradients_markdown
from .snapshots import REGENERATE_COMMAND, snapshot_texts, stale_snapshots, write_snapshots

__all__ = [
    "TARGETS",
    "debugprint_text",
    "cost_text",
    "grad_text",
    "explicit_text",
    "compiled_text",
    "graph_text",
    "graph_svg",
    "write_svg",
    "REGENERATE_COMMAND",
    "snapshot_texts",
    "stale_snapshots",
    "write_snapshots",
    "FormulaProof",
    "prove_formulas",
    "gradient_norms",
    "finite_difference_check",
    "max_rel_error",
    "compare_gradient_methods",
    "HACKS",
    "hack_differences",
    "hack_function",
    "gradients_markdown",
    "compare_reports",
]
