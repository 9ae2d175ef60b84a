"""How much of a UCI score comes from rounded data: a density with no dependencies between columns at three
variance floors, against the RNADE paper's rows.

    python experiments/uci_atoms.py                          # 5 sets x 10 folds; NOTES.md's block
    python experiments/uci_atoms.py --datasets redwine --folds 0 --out /tmp/atoms.md
    python experiments/uci_atoms.py --quick                  # 2 folds, 1-2 components (CI)

Most of the RNADE paper's UCI sets repeat their values (the wine sets are rounded to a few digits; a seventh
of each ionosphere column sits on +1, 0 or -1). On such data a likelihood has no upper bound: a mixture
component narrow enough to sit on a repeated value gains without limit, and how far a model goes depends on
how narrow its training lets components get. :func:`~rnnrnade_pt.baselines.independent_mixtures` (one 1-D
mixture per column, the number of components chosen on validation) is the model that can only gain that way;
this script scores it, standardised as the RNADEs are (training split's statistics), on every fold with
variance floors (scikit-learn's ``reg_covar``) of 1e-6, 1e-9 and 1e-12, and writes the table with the
published RNADE-MoG row and the fraction of the entries that repeat a value of another row.

References
----------
.. [1] B. Uria, I. Murray, H. Larochelle. "RNADE: The real-valued neural autoregressive density-estimator."
   NIPS 2013 (Table 1).
"""

from __future__ import annotations

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
NOTES = os.path.join(HERE, "NOTES.md")  # an investigation: its table is in the notes
PUBLISHED = os.path.join(HERE, "published.json")
BLOCK = "uci-atoms"
DATASETS = ("redwine", "whitewine", "ionosphere", "boston", "parkinsons")
FLOORS = (1e-6, 1e-9, 1e-12)
COMPONENTS = (1, 2, 3, 5, 10, 20)
QUICK_COMPONENTS = (1, 2)


def repeated_fraction(X) -> float:
    """The fraction of the entries of ``X`` (N x D) whose value another row of the same column shares."""
    import numpy as np

    shared = []
    for d in range(X.shape[1]):
        _, inverse, counts = np.unique(X[:, d], return_inverse=True, return_counts=True)
        shared.append(np.mean(counts[inverse] > 1))
    return float(np.mean(shared))


def atoms_table(datasets, folds, published_mog: dict, data_root=None, quick: bool = False) -> str:
    """The markdown table: per set, the independent mixtures' test log-likelihood (standardised units, mean ±
    standard error over ``folds``) at each floor, the published RNADE-MoG (``published_mog``: dataset ->
    value) and the repeated fraction."""
    import numpy as np

    from rnnrnade_pt.baselines import independent_mixtures
    from rnnrnade_pt.data import uci
    from rnnrnade_pt.data.standardize import Standardizer
    from rnnrnade_pt.rnade_runs import TITLES
    from rnnrnade_pt.tables import fmt_mean_stderr, markdown_table

    rows = []
    for name in datasets:
        scores = {f: [] for f in FLOORS}
        for fold in folds:
            sp = uci.uci_splits(name, fold, data_root)
            tr, va, te = (np.concatenate(sp[k]) for k in ("train", "valid", "test"))
            std = Standardizer.fit(tr)
            tr, va, te = std.transform(tr), std.transform(va), std.transform(te)
            for floor in FLOORS:
                comps = QUICK_COMPONENTS if quick else COMPONENTS
                scores[floor].append(independent_mixtures(tr, va, te, comps, floor)["test"])
        X = uci.load_uci(name, data_root).X
        cells = [fmt_mean_stderr(scores[f]) for f in FLOORS]
        rows.append(
            [TITLES[name], *cells, f"{published_mog[name]:.2f}", f"{100 * repeated_fraction(X):.0f}%"]
        )
    header = [
        "set",
        *[f"independent columns, floor {f:g}" for f in FLOORS],
        "published RNADE-MoG",
        "entries repeated",
    ]
    return markdown_table(header, rows) + (
        f"\nTest log-likelihood per row (nats, standardised units; mean ± standard error over {len(folds)} "
        f"fold{'s' * (len(folds) > 1)}) of one 1-D Gaussian mixture per column, components in "
        f"{list(QUICK_COMPONENTS if quick else COMPONENTS)} chosen per column on validation, at each "
        "variance floor (scikit-learn's reg_covar). Entries repeated: the share of entries whose value "
        "another row of the same column has. Written by experiments/uci_atoms.py.\n"
    )


def main(argv=None) -> int:
    from rnnrnade_pt.rnade_report import published_row
    from rnnrnade_pt.rnade_runs import N_FOLDS, QUICK_FOLDS, fold_list
    from rnnrnade_pt.sweep import setup_logging
    from rnnrnade_pt.tables import load_published, write_table

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", default=",".join(DATASETS), help="comma-separated subset")
    parser.add_argument("--folds", type=fold_list, help="comma-separated folds (default: all 10; quick: 0,1)")
    parser.add_argument("--data-root", help="the data root (default $RNNRNADE_DATA)")
    parser.add_argument("--quick", action="store_true", help="2 folds, 1-2 components; prints the table")
    parser.add_argument("--out", help="write the table here (default: NOTES.md's block; quick: stdout)")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    setup_logging(args.verbose, "uci_atoms")
    from rnnrnade_pt.errors import ConfigError

    datasets = args.datasets.split(",")
    for d in datasets:
        if d not in DATASETS:
            raise ConfigError(f"unknown dataset {d!r}; known: {list(DATASETS)}")
    folds = args.folds if args.folds is not None else list(QUICK_FOLDS if args.quick else range(N_FOLDS))
    published_mog = published_row(load_published(PUBLISHED, "rnade"), "rnade-mog")
    table = atoms_table(datasets, folds, published_mog, args.data_root, args.quick)
    write_table(table, args.out, args.quick, NOTES, BLOCK)
    return 0


if __name__ == "__main__":
    from rnnrnade_pt.cli import run_reporting_errors

    sys.exit(run_reporting_errors("uci_atoms.py", main))
