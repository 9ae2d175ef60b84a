"""Configs, parameter files and the BLAS-linked C backend."""

import ctypes.util
import dataclasses
import json
import os
import subprocess
import sys

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest

import rnnrnade_pt as rp
from rnnrnade_pt.backend import compile_function
from rnnrnade_pt.config import MODELS, read_by
from rnnrnade_pt.npz import atomic_write_npz


def test_config_defaults_are_the_supplements():
    cfg = rp.ModelConfig()
    assert cfg.model == "rnn-rnade" and cfg.rnn_activation == "sigmoid"
    assert cfg.conditioned == ("alpha", "mu", "sigma") and not cfg.condition_c and not cfg.fold_c_into_W
    assert (cfg.D, cfg.H, cfg.K, cfg.R, cfg.dtype) == (49, 128, 10, 128, "float64")


def test_config_json_round_trip_and_canonical_order():
    cfg = rp.ModelConfig(conditioned=["sigma", "mu"], rnn_activation="tanh", condition_c=True)
    assert cfg.conditioned == ("mu", "sigma")
    assert rp.ModelConfig.from_json(cfg.to_json()) == cfg


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"Q": 3}, "unknown config key"),
        ({"D": "49"}, "positive integer"),
        ({"D": 2.5}, "positive integer"),
        ({"H": True}, "positive integer"),
        ({"model": "rbm"}, "model must be one of"),
        ({"conditioned": ["beta"]}, "conditioned entry"),
        ({"conditioned": "mu"}, "must be a list"),
        ({"conditioned": []}, "conditions nothing"),
        ({"condition_c": "yes"}, "true or false"),
        ({"dtype": "float16"}, "dtype must be one of"),
        ({"hidden_activation": "tanh"}, "hidden_activation must be one of"),
    ],
)
def test_config_rejects_bad_values(bad, message):
    with pytest.raises(rp.ConfigError, match=message):
        rp.ModelConfig.from_dict(bad)


def test_param_shapes_follow_the_supplement():
    cfg = rp.ModelConfig(D=5, H=6, K=2, R=3, condition_c=True)
    assert rp.param_shapes(cfg) == {
        "W": (6, 5),
        "c": (6,),
        "rho": (5,),
        "V_alpha": (5, 6, 2),
        "V_mu": (5, 6, 2),
        "V_sigma": (5, 6, 2),
        "b_alpha": (5, 2),
        "b_mu": (5, 2),
        "b_sigma": (5, 2),
        "W2": (5, 3),
        "W3": (3, 3),
        "b_hhat": (3,),
        "h0": (3,),
        "W_alpha": (3, 5, 2),
        "W_mu": (3, 5, 2),
        "W_sigma": (3, 5, 2),
        "W_c": (3, 6),
    }
    folded = rp.ModelConfig(model="rnade", D=5, H=6, K=2, fold_c_into_W=True)
    assert "c" not in rp.param_shapes(folded) and rp.param_shapes(folded)["W"] == (6, 5)


def test_init_matches_the_original_code():
    values = rp.init_params(rp.ModelConfig(D=4, H=300, K=3, R=5), seed=1)
    assert np.all(values["rho"] == 1) and np.all(values["h0"] == 0)
    assert abs(values["b_sigma"].mean() - 1) < 0.01 and 0.008 < values["W"].std() < 0.012


def test_save_load_round_trip_is_exact(tmp_path):
    cfg = rp.ModelConfig(D=3, H=4, K=2, R=5, conditioned=("mu",))
    values = rp.init_params(cfg, seed=3, scale=0.3)
    rp.save_params(tmp_path / "p.npz", values, cfg)
    cfg2, values2 = rp.load_params(tmp_path / "p.npz")
    assert cfg2 == cfg and list(values2) == list(values)
    for k in values:
        np.testing.assert_array_equal(values2[k], values[k])
    with np.load(tmp_path / "p.npz", allow_pickle=False) as npz:
        assert json.loads(str(npz["config"]))["conditioned"] == ["mu"]


def test_model_save_and_reload_gives_the_same_loglik(tmp_path):
    cfg = rp.ModelConfig(model="rnade", D=2, H=3, K=2)
    model = rp.Rnade(cfg, rp.init_params(cfg, seed=5, scale=0.5))
    X = np.random.default_rng(0).standard_normal((4, 2))
    model.save(tmp_path / "m.npz")
    again = rp.load_model(tmp_path / "m.npz")
    np.testing.assert_array_equal(again.loglik(X).per_sequence, model.loglik(X).per_sequence)


def test_non_finite_or_unexpected_parameters_are_rejected():
    cfg = rp.ModelConfig(model="rnade", D=2, H=3, K=2)
    values = rp.init_params(cfg)
    with pytest.raises(rp.ParamsError, match="rho holds NaN"):
        rp.params.check_params(dict(values, rho=np.array([np.nan, 1.0])), cfg)
    with pytest.raises(rp.ParamsError, match="unexpected parameter"):
        rp.params.check_params(dict(values, W2=np.zeros((2, 2))), cfg)


def test_interrupted_write_leaves_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "p.npz"
    atomic_write_npz(path, {"a": np.arange(3)})

    def crash(fh, **arrays):
        fh.write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_npz(path, {"a": np.arange(5)})
    monkeypatch.undo()
    with np.load(path) as npz:
        np.testing.assert_array_equal(npz["a"], np.arange(3))
    assert os.listdir(tmp_path) == ["p.npz"]  # no temporary file left behind


def test_importing_the_package_changes_nothing_global():
    # the environment is read after PyTensor's own BLAS probe (reading blas__ldflags), which adds its library
    # directory to PATH: run alone, before any other test had probed in the worker, the test failed on that
    code = (
        "import os, json, pytensor; "
        "cfg = {k: str(getattr(pytensor.config, k)) for k in ('blas__ldflags', 'numba__fastmath', 'floatX', "
        "'linker', 'mode')}; env = dict(os.environ); import rnnrnade_pt, rnnrnade_pt.cli, rnnrnade_pt.train; "
        "now = {k: str(getattr(pytensor.config, k)) for k in cfg}; "
        "print(json.dumps([env == dict(os.environ), cfg == now]))"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTENSOR_FLAGS"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [True, True]


def test_c_backend_links_openblas():
    if not ctypes.util.find_library("openblas"):
        if os.environ.get("CI"):
            pytest.fail("OpenBLAS is not installed; .ci/run runs scripts/setup_system.sh, which installs it")
        pytest.skip("OpenBLAS not installed (run scripts/setup_system.sh)")
    from rnnrnade_pt.backend import package_flags

    assert "openblas" in package_flags()["blas__ldflags"]
    before = pytensor.config.blas__ldflags
    x, y = pt.dmatrix("x"), pt.dmatrix("y")
    f = compile_function([x, y], pt.dot(x, y) + x, backend="c")
    assert pytensor.config.blas__ldflags == before  # the flags held for that compilation only
    ops = {type(node.op).__name__ for node in f.maker.fgraph.apply_nodes}
    assert ops & {"CGemm", "Gemm", "Dot22", "Dot22Scalar"}, ops
    a = np.random.default_rng(0).standard_normal((3, 3))
    np.testing.assert_allclose(f(a, a), a @ a + a)


@pytest.mark.parametrize(
    "cfg",
    [
        rp.ModelConfig(model="rnade", D=3, H=4, K=2),
        rp.ModelConfig(D=3, H=4, K=2, R=5, conditioned=("mu", "sigma")),
        rp.ModelConfig(D=3, H=4, K=2, R=5, conditioned=(), condition_c=True, fold_c_into_W=True),
        rp.ModelConfig(model="rnn-nade", D=3, H=4, R=5),
        rp.ModelConfig(model="rnn-rbm", D=3, H=4, R=5),
        rp.ModelConfig(model="gaussian-rnn", D=3, R=5),
    ],
    ids=lambda c: f"{c.model}-{'+'.join(c.conditioned)}",
)
def test_a_parameter_file_without_config_is_read_by_its_names_and_shapes(cfg, tmp_path, caplog):
    """Another program's file (the supplement's names, no config): the config is inferred and logged."""
    import logging

    values = rp.init_params(cfg, 1)
    atomic_write_npz(tmp_path / "foreign.npz", values)
    caplog.set_level(logging.INFO, logger="rnnrnade_pt.params")
    got, read = rp.load_params(tmp_path / "foreign.npz")
    assert got == cfg and all(np.array_equal(read[k], v) for k, v in values.items())
    assert any("no 'config' entry: read as" in r.getMessage() for r in caplog.records)


def test_a_parameter_file_without_config_that_fits_no_model_is_refused(tmp_path):
    from rnnrnade_pt.params import infer_config

    values = rp.init_params(rp.ModelConfig(D=3, H=4, K=2, R=5))
    with pytest.raises(rp.ParamsError, match=r"no model \(as rnn-rnade: parameter W3 has shape \(4, 4\)"):
        infer_config({**values, "W3": np.zeros((4, 4))})
    with pytest.raises(rp.ParamsError, match=r"as rnn-rnade: unexpected parameter\(s\) \['extra'\]"):
        infer_config({**values, "extra": np.zeros(2)})
    with pytest.raises(rp.ParamsError, match="no model"):
        infer_config({"X": np.zeros((3, 2, 3)), "mask": np.ones((3, 2))})


def test_training_builds_the_fused_graph_unless_the_step_needs_the_fast_one():
    from rnnrnade_pt.config import TrainConfig

    assert TrainConfig().graph == "fused" and TrainConfig().step_graph == "fused"
    assert TrainConfig(gradient="explicit").step_graph == "fast"
    assert TrainConfig(gradient="sigma-scaled-mu").step_graph == "fast"
    assert TrainConfig(ordering="orderless").step_graph == "fast"
    assert TrainConfig(graph="scan").step_graph == "scan"
    for gradient in ("explicit", "sigma-scaled-mu"):
        with pytest.raises(rp.ConfigError, match="written for graph 'fast'"):
            TrainConfig(gradient=gradient, graph="scan")


@pytest.mark.parametrize("section", ["ModelConfig", "TrainConfig", "DataConfig"])
def test_every_config_field_is_described(section):
    """Each field of a config section has its entry in the class's Parameters section (a name, or one of
    several names sharing an entry, before the colon)."""
    import dataclasses
    import re

    from rnnrnade_pt import config

    cls = getattr(config, section)
    documented = {
        name.strip()
        for line in re.findall(r"^    ([\w, ]+)\s*:", cls.__doc__, re.M)
        for name in line.split(",")
    }
    assert [f.name for f in dataclasses.fields(cls) if f.name not in documented] == []


@pytest.mark.parametrize(
    "model, train, message",
    [
        ({"model": "rnn-nade", "D": 4}, {"gradient": "explicit"}, "trains with 'symbolic'"),
        ({"model": "gaussian-rnn", "D": 4}, {"gradient": "sigma-scaled-mu"}, "trains with 'symbolic'"),
        ({"model": "rnade", "D": 4}, {"pretrain_epochs": 2}, "pretrain_epochs pretrains a frame model"),
        ({"model": "rnn-nade", "D": 4}, {"pretrained_rnade": "x.npz"}, "starts an RNN-RNADE's RNADE"),
        ({"model": "rnn-rnade", "D": 4}, {"ordering": "orderless"}, "has a fixed one"),
        ({"model": "rnade", "D": 4}, {"ordering": "orderless", "graph": "scan"}, "fast graph"),
        ({"model": "rnade", "D": 4, "fold_c_into_W": True}, {"ordering": "orderless"}, "fold_c_into_W"),
    ],
)
def test_rules_across_sections_fail_before_a_run_is_written(model, train, message, tmp_path, capsys):
    from rnnrnade_pt.cli import main
    from rnnrnade_pt.config import RunConfig

    spec = {"model": model, "train": train, "data": {"dataset": "balls", "res": 2, "n_train": 2}}
    with pytest.raises(rp.ConfigError, match=message):
        RunConfig.from_dict(spec)
    path, out = tmp_path / "bad.json", tmp_path / "run"
    path.write_text(json.dumps(spec))
    assert main(["train", "--config", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert not out.exists()  # nothing written


OTHER_VALUES = dict(
    H=2,
    K=2,
    R=2,
    layers=3,
    rnn_activation="tanh",
    mixture="laplace",
    hidden_activation="relu",
    fold_c_into_W=True,
    conditioned=("mu",),
    condition_c=True,
    cd_k=2,
    gibbs_k=2,
    ais_chains=2,
    ais_betas=2,
    ais_base="mean-field",
    ais_direction="reverse",
)


@pytest.mark.parametrize("model", MODELS)
def test_an_option_the_model_does_not_read_is_refused(model):
    """Every option but ``model``, ``D`` and ``dtype`` set away from its default: accepted where the model
    reads it (:data:`~rnnrnade_pt.config.MODEL_OPTIONS`), refused in one line naming the models that do."""
    from rnnrnade_pt.config import MODEL_OPTIONS

    fields = {f.name for f in dataclasses.fields(rp.ModelConfig)} - {"model", "D", "dtype"}
    assert set(OTHER_VALUES) == fields
    for name, value in OTHER_VALUES.items():
        if name in MODEL_OPTIONS[model]:
            assert getattr(rp.ModelConfig(model=model, **{name: value}), name) == value
            continue
        with pytest.raises(
            rp.ConfigError, match=rf"config {name}=.* is not an option of model '{model}'"
        ) as e:
            rp.ModelConfig.from_dict({"model": model, name: value})
        readers = [m for m, names in MODEL_OPTIONS.items() if name in names]
        assert f"(only of {', '.join(readers)})" in str(e.value) and "\n" not in str(e.value)


SIZES = ("H", "K", "R", "layers")


@pytest.mark.parametrize("model", MODELS)
def test_every_size_a_model_reads_shapes_its_parameters(model):
    """The sizes in MODEL_OPTIONS are the ones the parameters have (so the table is not a guess)."""
    from rnnrnade_pt.config import MODEL_OPTIONS

    base = rp.param_shapes(
        rp.ModelConfig(model=model, D=3, **{n: 3 for n in SIZES if n in MODEL_OPTIONS[model]})
    )
    for n in SIZES:
        if n in MODEL_OPTIONS[model]:
            cfg = rp.ModelConfig(
                model=model, D=3, **{m: 4 if m == n else 3 for m in SIZES if m in MODEL_OPTIONS[model]}
            )
            assert rp.param_shapes(cfg) != base, n


def test_a_config_for_another_model_keeps_what_both_read():
    cfg = rp.ModelConfig(model="rnn-rnade", D=3, H=4, K=2, R=5, mixture="laplace", conditioned=("mu",))
    frame = cfg.for_model("rnade")
    assert frame == rp.ModelConfig(model="rnade", D=3, H=4, K=2, mixture="laplace")
    assert cfg.for_model("gaussian-rnn") == rp.ModelConfig(model="gaussian-rnn", D=3, R=5)
    quick = [("model.H", 6), ("model.cd_k", 2), ("model.K", 2), ("train.epochs", 1)]
    assert read_by("rnn-rbm", quick) == [("model.H", 6), ("model.cd_k", 2), ("train.epochs", 1)]
    assert rp.ModelConfig.from_options("rnade", D=3, H=4, K=2, R=9, cd_k=3) == frame.replace(
        mixture="gaussian"
    )


def test_overriding_the_model_keeps_the_options_the_new_model_reads():
    from rnnrnade_pt.config import RunConfig

    base = RunConfig.from_dict(
        {"model": {"model": "rnn-rnade", "D": 4, "H": 5, "R": 6, "conditioned": ["mu"]}}
    )
    rnade = base.with_overrides([("model.model", "rnade")])
    assert rnade.model == rp.ModelConfig(model="rnade", D=4, H=5)
    assert base.with_overrides([("model", "rnn-nade")]).model == rp.ModelConfig(
        model="rnn-nade", D=4, H=5, R=6
    )
    with pytest.raises(rp.ConfigError, match="R=7 is not an option of model 'rnade'"):
        base.with_overrides([("model.model", "rnade"), ("model.R", 7)])  # set explicitly: refused


def test_the_configs_model_lists_match_the_models():
    """config.py names the models with an explicit gradient and a frame model (the lowest layer that needs
    them); the registry is the truth."""
    from rnnrnade_pt import config
    from rnnrnade_pt.models import MODULES

    explicit = tuple(m for m, module in MODULES.items() if module.explicit_gradients is not None)
    assert config.EXPLICIT_GRADIENT_MODELS == explicit
    assert set(config.PRETRAINED_MODELS) == {m for m in MODULES if m.startswith("rnn-")}
