"""Bad input, generated (Hypothesis): arrays and masks against the data validators, config dictionaries
against the config reader, command lines against ``rnnrnade``. Every case ends in success or in this package's
one-line error (the command line: exit status 2 and one line on stderr), never another exception or a
traceback, and a run directory's files are never changed by a command that fails."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

from rnnrnade_pt.cli import main  # noqa: E402
from rnnrnade_pt.config import DataConfig, ModelConfig, RunConfig, TrainConfig  # noqa: E402
from rnnrnade_pt.data.arrays import check_data  # noqa: E402
from rnnrnade_pt.errors import RnnRnadeError  # noqa: E402

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

FLOATS = st.floats(allow_nan=True, allow_infinity=True, width=64)
DTYPES = st.sampled_from([np.float64, np.float32, np.int64, np.bool_, np.complex128, np.uint8])


def arrays(max_dims: int = 4):
    """Arrays of any of a few dtypes, 0 to ``max_dims`` dimensions, sides 0 to 4, values anything."""
    return DTYPES.flatmap(
        lambda dt: hnp.arrays(
            dt,
            hnp.array_shapes(min_dims=0, max_dims=max_dims, min_side=0, max_side=4),
            elements=FLOATS if dt in (np.float64,) else None,
        )
    )


def near_valid():
    """Arrays shaped as the models take them (N x 3 or T x B x 3) and 0/1 masks, values mostly finite, so that
    the accepting paths are exercised too."""
    shape = st.one_of(
        st.tuples(st.integers(1, 4), st.just(3)), st.tuples(st.integers(1, 4), st.integers(1, 3), st.just(3))
    )
    values = st.one_of(st.sampled_from([0.0, 1.0]), st.floats(-5, 5), FLOATS)
    return shape.flatmap(lambda s: hnp.arrays(np.float64, s, elements=values))


def near_valid_masks():
    return st.tuples(st.integers(1, 4), st.integers(1, 3)).flatmap(
        lambda s: hnp.arrays(np.float64, s, elements=st.sampled_from([0.0, 1.0, 0.5]))
    )


MODELS = [
    ModelConfig(model="rnade", D=3, H=2, K=2),
    ModelConfig(model="rnn-rnade", D=3, H=2, K=2, R=2),
    ModelConfig(model="rnn-nade", D=3, H=2, R=2),
]


@SETTINGS
@given(
    X=st.one_of(arrays(), near_valid()),
    mask=st.one_of(st.none(), arrays(3), near_valid_masks()),
    which=st.integers(0, len(MODELS) - 1),
)
def test_data_validators_accept_or_refuse_in_one_line(X, mask, which):
    cfg = MODELS[which]
    try:
        Xc, maskc = check_data(X, mask, cfg, source="generated")
    except RnnRnadeError as e:
        assert "\n" not in str(e) and str(e)
        hypothesis.event("refused")
        return
    hypothesis.event("accepted")
    assert np.all(np.isfinite(Xc)) and Xc.shape[-1] == cfg.D  # what passes is usable
    if cfg.model == "rnn-nade":
        assert set(np.unique(Xc)) <= {0.0, 1.0}
    if maskc is not None:
        assert maskc.shape == Xc.shape[:2] and set(np.unique(maskc)) <= {0.0, 1.0}


JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 300), FLOATS, st.text(max_size=8)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
KNOWN = {
    "model": [f for f in ModelConfig.__dataclass_fields__],
    "train": [f for f in TrainConfig.__dataclass_fields__],
    "data": [f for f in DataConfig.__dataclass_fields__],
}


def sections():
    """A config dictionary: known or unknown sections, known or unknown keys, values of any JSON type."""
    key = st.one_of(st.sampled_from(sorted({k for v in KNOWN.values() for k in v})), st.text(max_size=6))
    section = st.dictionaries(key, JSON_VALUES, max_size=5)
    return st.dictionaries(st.sampled_from(["model", "train", "data", "extra"]), section, max_size=3)


@SETTINGS
@given(spec=st.one_of(sections(), JSON_VALUES))
def test_the_config_reader_accepts_or_refuses_in_one_line(spec):
    try:
        cfg = RunConfig.from_dict(spec)
    except RnnRnadeError as e:
        assert "\n" not in str(e) and str(e)
        hypothesis.event("refused")
        return
    hypothesis.event("accepted")
    assert RunConfig.from_json(cfg.to_json()) == cfg  # what is read round-trips


@pytest.fixture(scope="module")
def params_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("params") / "p.npz"
    assert (
        main(
            [
                "init",
                "--model",
                "rnn-rnade",
                "--D",
                "3",
                "--H",
                "2",
                "--K",
                "2",
                "--R",
                "2",
                "--out",
                str(path),
            ]
        )
        == 0
    )
    return path


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    X=st.one_of(arrays(), near_valid()),
    mask=st.one_of(st.none(), arrays(3), near_valid_masks()),
    extra=st.sampled_from([[], ["--graph", "scan"], ["--graph", "nope"], ["--backend", "jaxx"]]),
)
def test_the_command_line_ends_in_success_or_one_line(X, mask, extra, params_file, tmp_path_factory, capsys):
    data = tmp_path_factory.mktemp("data") / "x.npz"
    arrays_ = {"X": X} if mask is None else {"X": X, "mask": mask}
    np.savez(data, **arrays_)
    before = params_file.read_bytes()
    try:
        code = main(["loglik", "--params", str(params_file), "--data", str(data), *extra])
    except SystemExit as e:  # argparse's own usage errors
        code = e.code
    out, err = capsys.readouterr()
    hypothesis.event(f"exit status {code}")
    assert code in (0, 2), (code, err)
    if code == 0:
        assert np.isfinite(json.loads(out)["total"])
    else:
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert params_file.read_bytes() == before  # the parameter file is only read


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    argv=st.lists(
        st.one_of(
            st.sampled_from(
                ["--epochs", "--lr", "--model.H", "--nope", "--resume", "--max-seconds", "--out"]
            ),
            st.text(min_size=0, max_size=6),
            st.integers(-3, 3).map(str),
        ),
        max_size=6,
    )
)
def test_resuming_with_generated_arguments_never_changes_a_finished_run(argv, finished_run, capsys):
    files = {
        f: (finished_run / f).read_bytes() for f in sorted(os.listdir(finished_run)) if f != "train.lock"
    }
    try:
        code = main(
            ["train", "--resume", str(finished_run), *argv, "--max-seconds", "0.001", "--epochs", "1"]
        )
    except SystemExit as e:
        code = e.code
    err = capsys.readouterr().err
    hypothesis.event(f"exit status {code}")
    assert code in (0, 2) and "Traceback" not in err, err
    if code == 2:
        assert len([line for line in err.splitlines() if ": error:" in line]) == 1, err
        now = {f: (finished_run / f).read_bytes() for f in files}
        assert now == files  # a refused command wrote nothing


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    from tiny import tiny

    from rnnrnade_pt.runs import train_and_evaluate

    run = tmp_path_factory.mktemp("finished") / "run"
    train_and_evaluate(tiny(**{"train.epochs": 1}), str(run))
    return run
