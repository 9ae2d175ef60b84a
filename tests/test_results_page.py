"""The results page and the release behind it: every released model under experiments/models is intact
(its model.npz matches its manifest) and small; every block of experiments/RESULTS.md is what its script
makes from the releases' manifests, with the package's table functions (nobody typed a number in); and a
few fast releases re-score, from the data, to the numbers their manifests give."""

import pathlib
import re

import pytest

from rnnrnade_pt import music_report, sequence_report
from rnnrnade_pt.release import (
    check_score,
    find_releases,
    load_release,
    read_manifest,
    release_size,
    rescore,
)

ROOT = pathlib.Path(__file__).parents[1]
EXPERIMENTS = ROOT / "experiments"
MODELS = EXPERIMENTS / "models"
TABLES = ("main", "rnade", "music", "sequences", "bsds300")
# "tens of MB at most": 123 MB with the balls rows (the 250 RNADE UCI models, float64, are 79 MB of it; a
# float32 model stored in float32 saves little, since zlib already squeezes the zero half of its float64)
MAX_RELEASE_BYTES = 130e6


def block(name: str) -> str:
    text = (EXPERIMENTS / "RESULTS.md").read_text(encoding="utf-8")
    found = re.search(f"<!-- BEGIN {name} -->\n(.*?)<!-- END {name} -->", text, re.S)
    assert found, f"RESULTS.md has no block {name}"
    return found.group(1)


def manifests(table: str) -> list[dict]:
    return [read_manifest(p) for p in find_releases(str(MODELS), table)]


def test_every_release_is_intact_and_the_release_is_small():
    paths = [p for t in TABLES for p in find_releases(str(MODELS), t)]
    assert paths, "no released model"
    for path in paths:
        run = load_release(path)  # checks model.npz against its manifest's SHA-256
        m = read_manifest(path)
        assert m["commit"] and m["command"] and m["training_seconds"] is not None, path
        assert m["config"]["data"]["root"] is None and run.cfg.model == run.model.cfg, path
    assert release_size(str(MODELS)) < MAX_RELEASE_BYTES


@pytest.mark.parametrize("table", ["main", "music", "sequences"])
def test_results_blocks_are_made_from_the_releases(table, shared_data, monkeypatch):
    monkeypatch.setenv("RNNRNADE_DATA", str(shared_data))
    released = manifests(table)
    if table == "main":
        from rnnrnade_pt.baselines import prediction_baselines
        from rnnrnade_pt.config import RunConfig
        from rnnrnade_pt.data.datasets import load_dataset

        (manifest,) = released
        data = load_dataset(RunConfig.from_dict(manifest["config"]).data)
        expected = sequence_report.main_table(manifest, prediction_baselines(data))
    elif table == "music":
        published = music_report.published(EXPERIMENTS / "published.json")
        expected = music_report.table_from_releases(released, published=published, models_dir=str(MODELS))
    else:
        expected = sequence_report.table_from_releases(released, models_dir=str(MODELS))
    assert block(table).strip() == expected.strip()


def test_rnade_rows_are_made_from_the_releases():
    """The RNADE block's rows of the released methods and their gaps to the published values (the
    baselines' rows are refitted from the data by the script, seconds per fold, not released)."""
    from rnnrnade_pt.release import release_size as size
    from rnnrnade_pt.rnade_release import release_note, release_records
    from rnnrnade_pt.rnade_report import rnade_table
    from rnnrnade_pt.tables import load_published

    released = manifests("rnade")
    if not released:
        pytest.skip("no released RNADE model yet")
    published = load_published(EXPERIMENTS / "published.json", "rnade")
    note = release_note(released, size(str(MODELS / "rnade")))
    expected = rnade_table(release_records(released), published, 10, note)
    ours = [r for r in expected.splitlines() if r.startswith(("| RNADE", "| gap: RNADE"))]
    page = block("rnade").splitlines()
    assert ours and all(r in page for r in ours)
    assert note in block("rnade")


FAST = [
    "rnade/rnade-mog_redwine_fold0",
    "rnade/rnade-mog-orderless_redwine_fold0",
    "music/rnn-nade_JSB_Chorales",
]


@pytest.mark.parametrize("cell", FAST)
def test_fast_releases_rescore_to_their_manifests(cell, shared_data):
    from rnnrnade_pt.rnade_release import evaluate, table_score

    path = MODELS / cell
    if not path.is_dir():
        pytest.skip(f"{cell} is not released")
    if cell.startswith("rnade/"):
        again = rescore(str(path), table_score, evaluate, data_root=str(shared_data))
    else:
        again = rescore(str(path), music_report.score, data_root=str(shared_data))
    assert check_score(again) == []
