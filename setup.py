"""Installation of rnnrnade-pt: RNN-RNADE and its family as PyTensor symbolic graphs."""

from setuptools import find_packages, setup

setup(
    name="rnnrnade-pt",
    version="0.1.0",
    description="RNADE and RNN-RNADE sequence density models as PyTensor symbolic graphs",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["rnnrnade_pt", "rnnrnade_pt.*"]),
    package_data={"rnnrnade_pt.kernels": ["*.cpp"]},
    python_requires=">=3.10",
    # PyTensor 3.0 (graphs/ snapshots are made with 3.0.7) or the 2.38 series that PyMC 5.28 requires; the
    # suite is run on 3.0.7 and 2.38.3, and what differs between them is handled in rnnrnade_pt/compat.py
    install_requires=[
        "pytensor>=2.38.2,<3.1",
        "numpy>=1.26",
        "scipy>=1.11",
        "pooch>=1.6",
        "threadpoolctl>=3.1",
    ],
    extras_require={
        "dev": [
            "pytest>=8",
            "pytest-xdist>=3",
            "ruff>=0.6",
            "matplotlib>=3.7",
            "tqdm>=4.60",
            "jax>=0.6",
            "jaxlib>=0.6",
            "sympy>=1.12",
            "pydot>=3",
            "pretty_midi>=0.2.10",
            "scikit-learn>=1.3",
            "pillow>=9",
            "torch>=2.4",
            "h5py>=3",
            "dask[distributed]>=2024.1",
            "hypothesis>=6.100",
        ],
        "bench": ["torch>=2.4"],
        "jax": ["jax>=0.6", "jaxlib>=0.6"],
        "plot": ["matplotlib>=3.7", "tqdm>=4.60"],
        "midi": ["pretty_midi>=0.2.10"],
        "graph": ["pydot>=3", "sympy>=1.12"],
        "baselines": ["scikit-learn>=1.3"],
        "images": ["pillow>=9"],
        "uci": ["h5py>=3"],  # Uria's red_wine.hdf5 (the RNADE paper's red-wine folds)
        "parallel": ["dask[distributed]>=2024.1"],  # sweeps and tables with --engine dask
        # a trained density as a PyMC prior (rnnrnade_pt.pymc); PyMC 5.28 brings PyTensor 2.38
        "pymc": ["pymc>=5.28"],
    },
    entry_points={"console_scripts": ["rnnrnade=rnnrnade_pt.cli:main"]},
)
