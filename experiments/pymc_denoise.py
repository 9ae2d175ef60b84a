"""A trained RNADE as a PyMC prior: denoising BSDS300 test patches, against a Gaussian prior (Wiener filter).

    bash scripts/test_pymc.sh                     # once: the PyMC environment .venv-pymc (PyTensor 2.38)
    .venv-pymc/bin/python experiments/pymc_denoise.py [--prior DIR] [--sigma 0.05]
    .venv-pymc/bin/python experiments/pymc_denoise.py --quick   # a tiny untrained prior, a few patches

Each test patch ``x`` (the standard BSDS300 data's 63 values: an 8x8 grey patch in [0, 1), its mean removed,
the last pixel dropped; :func:`rnnrnade_pt.data.bsds.standard_bsds300`) is observed with known Gaussian noise,
``y = x + sigma * eps`` on those 63 values. Three estimates of ``x`` from ``y``:

- the **Gaussian prior**: ``x ~ N(m, S)`` fitted to the 1,000,000 training patches; the posterior mean (and
  MAP) is the Wiener filter ``m + S (S + sigma^2 I)^-1 (y - m)``, in closed form;
- the **RNADE prior, MAP**: ``x ~ Density(rnade)`` (:class:`rnnrnade_pt.pymc.Density`),
  ``y ~ N(x, sigma^2 I)``, ``pm.find_MAP`` (L-BFGS through the density's ``pytensor.grad``) from ``y``;
- the **RNADE prior, posterior mean**: NUTS on the first ``--nuts-patches`` of them (one joint model).

The score is the PSNR of each estimate over all its patches' values, peak 1: ``10 log10(1 / MSE)``. The
script writes RESULTS.md's ``pymc`` block (the table, the prior's test log-likelihood, the command, the
machine, the seconds) and a figure of patches (clean / noisy / Gaussian / RNADE).

References
----------
.. [1] B. Uria, I. Murray, H. Larochelle. "RNADE: The real-valued neural autoregressive density-estimator."
   NIPS 2013.
.. [2] D. Zoran, Y. Weiss. "From learning models of natural image patches to whole image restoration."
   ICCV 2011 (patch priors for denoising).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_PRIOR = os.path.join(HERE, "models", "bsds300", "rnade")
RESULTS = os.path.join(HERE, "RESULTS.md")
FIGURE = os.path.join(HERE, "figures", "pymc_denoise.png")


def psnr(estimate: np.ndarray, clean: np.ndarray) -> float:
    """``10 log10(1 / MSE)`` over every value (peak 1: the patches' grey levels lie in [0, 1))."""
    return float(10 * np.log10(1.0 / np.mean((estimate - clean) ** 2)))


def wiener(y: np.ndarray, train: np.ndarray, sigma: float) -> np.ndarray:
    """The posterior mean (and MAP) of ``x`` under the Gaussian prior fitted to ``train``."""
    m, S = train.mean(axis=0), np.cov(train, rowvar=False)  # D, D x D
    gain = np.linalg.solve(S + sigma**2 * np.eye(len(m)), S)  # (S + s^2 I)^-1 S, symmetric inverse
    return m + (y - m) @ gain  # N x D


def load_prior(path: str):
    """A release directory or a run directory, as the package's model (with no standardisation)."""
    from rnnrnade_pt.release import is_release, load_release
    from rnnrnade_pt.runs import load_run

    run = load_release(path) if is_release(path) else load_run(path)
    if run.standardizer is not None:
        raise SystemExit(f"{path}: the prior was trained on standardised data; this script wants raw patches")
    return run


def rnade_estimates(model, y: np.ndarray, sigma: float, n_nuts: int, draws: int, tune: int, seed: int):
    """The RNADE prior's MAP of every patch, and its NUTS posterior mean of the first ``n_nuts``."""
    import pymc as pm

    from rnnrnade_pt.backend import package_settings
    from rnnrnade_pt.pymc import Density

    with pm.Model(), package_settings(linker="cvm_nogc"):  # PyMC's compilations as the package's: OpenBLAS
        x = Density("x", model, shape=y.shape)
        pm.Normal("y", mu=x, sigma=sigma, observed=y)
        t0 = time.perf_counter()
        map_x = pm.find_MAP(start={"x": y}, progressbar=False)["x"]
        map_seconds = time.perf_counter() - t0
    post, nuts_seconds = None, 0.0
    if n_nuts:
        with pm.Model(), package_settings(linker="cvm_nogc"):
            x = Density("x", model, shape=y[:n_nuts].shape)
            pm.Normal("y", mu=x, sigma=sigma, observed=y[:n_nuts])
            t0 = time.perf_counter()
            idata = pm.sample(
                draws,
                tune=tune,
                chains=2,
                cores=1,
                random_seed=seed,
                progressbar=False,
                initvals={"x": y[:n_nuts]},
            )
            nuts_seconds = time.perf_counter() - t0
        post = idata.posterior["x"].mean(("chain", "draw")).values
    return map_x, map_seconds, post, nuts_seconds


def patch_image(v: np.ndarray) -> np.ndarray:
    """The 8x8 mean-removed patch of 63 values (the dropped pixel is minus the sum of the others)."""
    return np.append(v, -v.sum()).reshape(8, 8)


def figure(path: str, rows: list[tuple[str, np.ndarray]], n: int = 8) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(rows), n, figsize=(1.2 * n, 1.3 * len(rows)))
    for r, (title, patches) in enumerate(rows):
        for c in range(n):
            ax = axes[r, c]
            ax.imshow(patch_image(patches[c]), cmap="gray", vmin=-0.5, vmax=0.5, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r, 0].set_ylabel(title, rotation=0, ha="right", va="center", fontsize=9)
    fig.tight_layout()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def block(res: dict) -> str:
    from rnnrnade_pt.tables import fmt_duration, markdown_table

    n, k = res["patches"], res["nuts_patches"]
    rows = [
        [
            "noisy input",
            f"{res['psnr']['noisy']:.2f}",
            f"{res['psnr_nuts_subset']['noisy']:.2f}" if k else "—",
        ],
        ["Gaussian prior (Wiener filter)", f"{res['psnr']['gaussian']:.2f}", _sub(res, "gaussian")],
        ["RNADE prior, MAP (`pm.find_MAP`)", f"{res['psnr']['rnade_map']:.2f}", _sub(res, "rnade_map")],
        ["RNADE prior, posterior mean (NUTS)", "—", _sub(res, "rnade_nuts")],
    ]
    table = markdown_table(["estimate", f"PSNR (dB), {n} patches", f"PSNR (dB), the first {k}"], rows)
    prior = res["prior"]
    prov = res["provenance"]
    return (
        f"{table}\n\nNoise: sigma = {res['sigma']} on the 63 values of each standard BSDS300 test patch "
        f"(grey levels in [0, 1), mean removed; noisy PSNR {res['psnr']['noisy']:.2f} dB), {n} test patches "
        f"drawn with seed {res['seed']}. Prior: `{prior['path']}` ({prior['what']}: test log-likelihood "
        f"{prior['test_loglik']:.2f} nats per patch on the first 50,000 test patches). RNADE prior minus "
        f"Gaussian prior: {res['psnr']['rnade_map'] - res['psnr']['gaussian']:+.2f} dB (MAP) on all patches. "
        "NUTS: 2 chains "
        f"of {res['tune']} tuning and {res['draws']} kept draws on the first {k} patches as one model.\n\n"
        f"Command: `{prov['command']}` at commit {str(prov['commit'])[:10]} on {prov['machine']}, PyMC "
        f"{res['pymc']}, PyTensor {prov['pytensor']}; {fmt_duration(res['seconds'])} in all (MAP "
        f"{fmt_duration(res['map_seconds'])}, NUTS {fmt_duration(res['nuts_seconds'])}). Figure: "
        f"`experiments/figures/pymc_denoise.png`."
    )


def _sub(res: dict, key: str) -> str:
    value = (res["psnr_nuts_subset"] or {}).get(key)
    return "—" if value is None else f"{value:.2f}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--prior", default=DEFAULT_PRIOR, help="release or run directory of a BSDS300 RNADE")
    p.add_argument(
        "--sigma", type=float, default=0.05, help="noise standard deviation (grey levels in [0, 1))"
    )
    p.add_argument("--patches", type=int, default=200, help="test patches denoised by MAP")
    p.add_argument("--nuts-patches", type=int, default=10, help="of them, the first this many also by NUTS")
    p.add_argument("--draws", type=int, default=200)
    p.add_argument("--tune", type=int, default=200)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-root", default=None, help="the data directory (default: $RNNRNADE_DATA)")
    p.add_argument("--out", default=None, help="write the block here (default: RESULTS.md's pymc block)")
    p.add_argument("--figure", default=FIGURE)
    p.add_argument("--quick", action="store_true", help="an untrained tiny prior, 20 patches, few draws")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    import pymc as pm

    import rnnrnade_pt as rp
    from rnnrnade_pt import provenance
    from rnnrnade_pt.data.bsds import standard_bsds300
    from rnnrnade_pt.tables import write_table

    t0 = time.perf_counter()
    splits = standard_bsds300(args.data_root, 0)
    train, test = splits["train"][0], splits["test"][0]
    if args.quick:
        model = rp.Rnade(rp.ModelConfig(model="rnade", D=63, H=8, K=2), seed=0)
        prior = {"path": "an untrained RNADE (quick)", "what": "untrained"}
        args.patches, args.nuts_patches, args.draws, args.tune = 20, 3, 20, 20
        args.out = args.out or os.path.join(tempfile.mkdtemp(), "pymc.md")
        args.figure = os.path.join(os.path.dirname(args.out), "pymc_denoise.png")
    else:
        run = load_prior(args.prior)
        model = run.model
        prior = {"path": os.path.relpath(args.prior), "what": f"RNADE, H={model.cfg.H}, K={model.cfg.K}"}
    rng = np.random.default_rng(args.seed)
    x = test[np.sort(rng.choice(len(test), args.patches, replace=False))]  # N x 63
    y = x + args.sigma * rng.standard_normal(x.shape)
    prior["test_loglik"] = float(model.loglik(test[:50_000]).per_sequence.mean())  # 50,000 test patches

    gauss = wiener(y, train, args.sigma)
    map_x, map_seconds, post, nuts_seconds = rnade_estimates(
        model, y, args.sigma, args.nuts_patches, args.draws, args.tune, args.seed
    )
    k = args.nuts_patches
    res = {
        "sigma": args.sigma,
        "patches": args.patches,
        "nuts_patches": k,
        "draws": args.draws,
        "tune": args.tune,
        "seed": args.seed,
        "prior": prior,
        "psnr": {"noisy": psnr(y, x), "gaussian": psnr(gauss, x), "rnade_map": psnr(map_x, x)},
        "psnr_nuts_subset": {
            "noisy": psnr(y[:k], x[:k]),
            "gaussian": psnr(gauss[:k], x[:k]),
            "rnade_map": psnr(map_x[:k], x[:k]),
            **({"rnade_nuts": psnr(post, x[:k])} if post is not None else {}),
        }
        if k
        else {},
        "map_seconds": map_seconds,
        "nuts_seconds": nuts_seconds,
        "pymc": pm.__version__,
        "provenance": provenance.current(),
    }
    res["seconds"] = time.perf_counter() - t0
    rows = [("clean", x), ("noisy", y), ("Gaussian", gauss), ("RNADE MAP", map_x)]
    if post is not None:
        rows.append(("RNADE NUTS", post))
    figure(args.figure, rows, n=min(8, k or 8) if post is not None else 8)
    print(json.dumps({k_: v for k_, v in res.items() if k_ != "provenance"}, indent=1))
    write_table(block(res), args.out, False, RESULTS, "pymc")
    return 0


if __name__ == "__main__":
    from rnnrnade_pt.cli import run_reporting_errors

    sys.exit(run_reporting_errors("pymc_denoise.py", main))
