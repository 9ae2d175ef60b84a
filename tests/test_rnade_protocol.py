"""The RNADE tables' runs and protocol (:mod:`rnnrnade_pt.rnade_runs`, :mod:`rnnrnade_pt.rnade_protocol`):
the protocol file and its checks, the chosen points, the jobs, the choice of a grid point on validation."""

import argparse
import json
import pathlib

import pytest

from rnnrnade_pt.errors import ConfigError
from rnnrnade_pt.rnade_protocol import _protocol_json, chosen_points, load_chosen, load_protocol
from rnnrnade_pt.rnade_runs import fold_list, make_jobs

ROOT = pathlib.Path(__file__).parents[1]
CONFIG_DIR = ROOT / "experiments" / "configs" / "rnade"
PROTOCOL = CONFIG_DIR / "protocol.json"


def _spec() -> dict:
    return json.loads(PROTOCOL.read_text())


def test_protocol_file_says_where_every_value_comes_from():
    fixed, grid = load_protocol(PROTOCOL, config_dir=CONFIG_DIR)
    spec = _spec()
    prov = spec["provenance"]
    for key in [*spec["fixed"], *spec["grid"], *(f"variants.{v}" for v in spec["variants"])]:
        assert prov[key].split(":")[0] in ("paper", "original code", "guess"), key
    assert dict(fixed)["train.batch_size"] == 100 and grid["model.K"] == [2, 5, 10, 20]
    assert len(grid["train.weight_decay"]) * len(grid["train.lr"]) * len(grid["model.K"]) == 96
    jobs = make_jobs(
        "/tmp/runs",
        ["redwine"],
        ["rnade-mog", "rnade-mog-orderless"],
        [3],
        grid=grid,
        fixed=fixed,
        config_dir=CONFIG_DIR,
    )
    assert len(jobs) == 192 and {j.cfg.data.fold for j in jobs} == {3}
    assert all(j.cfg.model.H == 50 and j.cfg.train.optimizer == "nesterov" for j in jobs)
    # the method's overrides come after the protocol's: the order-agnostic runs stay order-agnostic
    assert {j.cfg.train.ordering for j in jobs if j.name.startswith("rnade-mog-orderless")} == {"orderless"}
    adam_fixed, adam_grid = load_protocol(PROTOCOL, variant="adam", config_dir=CONFIG_DIR)
    assert dict(adam_fixed)["train.optimizer"] == "adam" and adam_grid["model.K"] == grid["model.K"]
    stop_fixed, _ = load_protocol(PROTOCOL, variant="original-code-stopping", config_dir=CONFIG_DIR)
    assert dict(fixed)["train.patience"] > 0 and dict(stop_fixed)["train.patience"] == 0


def test_protocol_file_bad_input(tmp_path):
    good = _spec()
    cases = {
        "no provenance": ({**good, "provenance": {}}, "provenance of"),
        "bad override": ({**good, "fixed": {**good["fixed"], "train.optimizer": "lbfgs"}}, "optimizer"),
        "unknown key": ({**good, "grdi": {}}, "keys must be among"),
    }
    for name, (spec, what) in cases.items():
        p = tmp_path / f"{name}.json"
        p.write_text(json.dumps(spec))
        with pytest.raises(ConfigError, match=what) as e:
            load_protocol(str(p), config_dir=CONFIG_DIR)
        assert "\n" not in str(e.value)
    with pytest.raises(ConfigError, match="unknown variant"):
        load_protocol(PROTOCOL, variant="sgd-forever", config_dir=CONFIG_DIR)
    with pytest.raises(ConfigError, match="does not exist"):
        load_protocol(str(tmp_path / "none.json"), config_dir=CONFIG_DIR)


def test_protocol_file_layout_is_what_record_chosen_writes():
    """--record-chosen rewrites the protocol file in its own layout: the file as committed is a fixed point
    (a recorded choice changes the lines it adds, no others)."""
    text = PROTOCOL.read_text()
    assert _protocol_json(json.loads(text)) + "\n" == text


def test_chosen_points_score_a_failed_run_minus_infinity():
    """Of two grid points on one fold, one with a NaN validation score (a failed run) is never chosen."""
    jobs = make_jobs(
        "/r", ["redwine"], ["rnade-mog"], [0], grid={"train.lr": [1.0, 2.0]}, config_dir=CONFIG_DIR
    )
    bad = [{"best_valid_loglik_per_frame": float("nan")}, {"best_valid_loglik_per_frame": -3.0}]
    assert chosen_points(jobs, bad)[("rnade-mog", "redwine")][0] == "-lr=2"


def test_fold_list_is_a_one_line_argument_error():
    assert fold_list("0,3") == [0, 3]
    for bad, what in (("x", "comma-separated integers"), ("0,10", "in 0..9")):
        with pytest.raises(argparse.ArgumentTypeError, match=what):
            fold_list(bad)


def test_chosen_point_needs_provenance_and_the_grid(tmp_path):
    """A point without provenance, with a key that is not the grid's, or for an unknown set is a one-line
    ConfigError."""
    spec = _spec()
    spec["grid"] = {"train.lr": [1e-12, 0.05]}
    spec["chosen"] = {"redwine": {"rnade-mog": {"train.lr": 0.05}}}
    spec["provenance"]["chosen.redwine.rnade-mog"] = "searched: a test"
    proto = tmp_path / "protocol.json"
    proto.write_text(json.dumps(spec))
    assert load_chosen(str(proto), config_dir=CONFIG_DIR) == {
        ("rnade-mog", "redwine"): [(None, {"train.lr": [0.05]})]
    }
    bad = {
        "no provenance": {
            **spec,
            "provenance": {**spec["provenance"], "chosen.redwine.rnade-mog": "paper: x"},
        },
        "not the grid": {**spec, "chosen": {"redwine": {"rnade-mog": {"model.K": 5}}}},
        "unknown set": {**spec, "chosen": {"redwines": {}}},
    }
    for name, wrong in bad.items():
        p = tmp_path / f"{name}.json"
        p.write_text(json.dumps(wrong))
        with pytest.raises(ConfigError, match="chosen") as e:
            load_chosen(str(p), config_dir=CONFIG_DIR)
        assert "\n" not in str(e.value)


def test_chosen_cell_holds_one_point_per_variant(tmp_path):
    """A cell of ``chosen`` may hold several points, each under the protocol variant it names (the base
    point first); a second point of one variant, or an unknown variant, is a one-line ConfigError."""
    spec = _spec()
    spec["grid"] = {"train.lr": [1e-12, 0.05]}
    spec["chosen"] = {
        "redwine": {
            "rnade-mog": [{"train.lr": 1e-12}, {"variant": "original-code-stopping", "train.lr": 0.05}]
        }
    }
    spec["provenance"]["chosen.redwine.rnade-mog"] = "searched: a test"
    spec["provenance"]["chosen.redwine.rnade-mog.original-code-stopping"] = "guess: a test"
    proto = tmp_path / "protocol.json"
    proto.write_text(json.dumps(spec))
    assert load_chosen(str(proto), config_dir=CONFIG_DIR)[("rnade-mog", "redwine")] == [
        (None, {"train.lr": [1e-12]}),
        ("original-code-stopping", {"train.lr": [0.05]}),
    ]
    bad = {
        "twice": [{"train.lr": 0.05}, {"train.lr": 1e-12}],
        "unknown variant": [{"variant": "sgd-forever", "train.lr": 0.05}],
    }
    for name, cell in bad.items():
        p = tmp_path / f"{name}.json"
        p.write_text(json.dumps({**spec, "chosen": {"redwine": {"rnade-mog": cell}}}))
        with pytest.raises(ConfigError, match="two points of one variant|unknown variant") as e:
            load_chosen(str(p), config_dir=CONFIG_DIR)
        assert "\n" not in str(e.value)
