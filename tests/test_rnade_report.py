"""The RNADE tables' records and table (:mod:`rnnrnade_pt.rnade_records`, :mod:`rnnrnade_pt.rnade_report`):
the choice per fold on validation, the published and gap rows from ``experiments/published.json``, and the
baselines' records (a failure reported, not cached)."""

import pathlib

import pytest

from rnnrnade_pt.errors import ConfigError, DataError
from rnnrnade_pt.rnade_records import baseline_records
from rnnrnade_pt.rnade_report import rnade_table
from rnnrnade_pt.tables import load_published

ROOT = pathlib.Path(__file__).parents[1]
CONFIG_DIR = ROOT / "experiments" / "configs" / "rnade"
PUBLISHED = load_published(ROOT / "experiments" / "published.json", "rnade")


def _run(name: str, fold: int, loglik: float, valid: float, wall_seconds: float) -> dict:
    """A run's record as :func:`~rnnrnade_pt.rnade_records.run_records` makes it, or as built elsewhere."""
    return {
        "name": name,
        "method": "rnade-mog",
        "dataset": "redwine",
        "fold": fold,
        "loglik": loglik,
        "valid": valid,
        "wall_seconds": wall_seconds,
    }


RECORDS = [
    _run("a", 0, -9.0, -1.0, 10),
    _run("b", 0, -5.0, -2.0, 10),  # better test, worse validation: not chosen
    _run("c", 1, -11.0, 0.0, 70),
    {"name": "d", "method": "gaussian", "dataset": "redwine", "fold": 0, "error": "boom"},
]


def test_table_selects_on_validation():
    text = rnade_table(RECORDS, PUBLISHED, n_folds=3)
    row = next(ln for ln in text.splitlines() if ln.startswith("| RNADE-MoG |"))
    assert "-10.00 ± 1.00 (2/3 folds)" in row and "1 min 30 s" in row
    assert "| RNADE-MoG (published) | -9.36 |" in text and "Failed or unevaluated: d" in text
    # the gap row: our mean (-10.00) minus the published -9.36; no row where we have no value
    assert "| gap: RNADE-MoG minus RNADE-MoG (published) | -0.64 |" in text and "gap: Gaussian" not in text


def test_published_rows_come_from_the_values_given():
    """The published and gap rows are the ``published`` argument's (the script reads published.json); a row
    missing from it is a one-line ConfigError."""
    other = {**PUBLISHED, "rnade-mog": {"redwine": -10.0}}
    text = rnade_table(RECORDS, other, n_folds=3)
    assert "| RNADE-MoG (published) | -10.00 |" in text
    assert "| gap: RNADE-MoG minus RNADE-MoG (published) | +0.00 |" in text
    assert "| EoRNADE, best ensemble (published) | -8.76 |" in text
    short = {k: v for k, v in PUBLISHED.items() if k != "eornade"}
    with pytest.raises(ConfigError, match="no row 'eornade'") as e:
        rnade_table(RECORDS, short)
    assert "\n" not in str(e.value)


def test_a_failed_baseline_is_reported_not_cached_and_a_bug_stops(shared_data, tmp_path, monkeypatch):
    """An expected failure (bad data) is a record with ``error`` and no cache file, so that the next run tries
    again; an exception that is no error of this package (a bug) propagates."""
    import rnnrnade_pt.baselines as bl

    if not (shared_data / "uci/parkinsons.data").exists():
        pytest.skip(f"{shared_data / 'uci/parkinsons.data'} is absent (shared data)")
    runs = tmp_path / "runs"
    cache = runs / "baselines" / "parkinsons_fold0.json"

    def bad_data(*a, **k):
        raise DataError("the data are bad")

    def records():
        return baseline_records(
            ["parkinsons"], [0], str(runs), str(shared_data), quick=True, config_dir=CONFIG_DIR
        )

    monkeypatch.setattr(bl, "baselines", bad_data)
    recs = records()
    assert [r["error"] for r in recs] == ["the data are bad"] * 2 and not cache.exists()
    monkeypatch.setattr(bl, "baselines", lambda *a, **k: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        records()
    assert not cache.exists()
    monkeypatch.undo()
    recs = records()
    assert all("error" not in r for r in recs) and cache.exists()
