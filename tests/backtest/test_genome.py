"""The 22-gene table of SPEC section 2: decoding at 0, 0.5, 1; validation names the gene."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from console.cli import main
from core.errors import GenomeError
from core.genome import GENE_SPECS, N_GENES, decode, load_genome_file, save_genome_file, validate_genes

# (gene, value at g=0, g=0.5, g=1) straight from the spec table
EXPECTED = {
    "stop_loss_pct": (0.02, 0.11, 0.20),
    "stop_atr_mult": (0.5, 1.5, 2.5),
    "trail_pct": (0.02, 0.085, 0.15),
    "trail_activation_pct": (0.05, 0.10, 0.15),
    "trail_only_profit": (False, False, True),
    "take_profit_pct": (0.05, 0.25, 0.45),
    "tp_scaling": (False, False, True),
    "tp_levels": (1, 2, 4),
    "vol_mult": (0.5, 1.25, 2.0),
    "vol_lookback": (10, 20, 30),
    "high_vol_ratio": (1.5, 1.75, 2.0),
    "max_hold_days": (10, 35, 60),
    "time_decay": (0.5, 0.75, 1.0),
    "max_drawdown_pct": (0.05, 0.10, 0.15),
    "correlation_limit": (0.40, 0.55, 0.70),
    "concentration_limit": (0.05, 0.125, 0.20),
    "momentum_adj": (0.0, 0.25, 0.5),
    "news_vol_mult": (1.0, 2.0, 3.0),
    "regime_sensitivity": (0.0, 0.5, 1.0),
}


@pytest.mark.parametrize("level_index,g", [(0, 0.0), (1, 0.5), (2, 1.0)])
def test_every_gene_decodes_per_spec(level_index, g):
    params = decode(np.full(N_GENES, g))
    for name, values in EXPECTED.items():
        got, want = getattr(params, name), values[level_index]
        if isinstance(want, bool):
            assert got is want, name
        elif isinstance(want, int):
            assert got == want and isinstance(got, int), name
        else:
            assert got == pytest.approx(want), name
    # weights normalise to 1; all-zero weights become equal
    assert params.w_sl + params.w_trail + params.w_tp == pytest.approx(1.0)
    assert params.w_sl == pytest.approx(1 / 3)


def test_weights_normalise_to_their_proportions():
    g = np.full(N_GENES, 0.5)
    g[19:22] = [0.6, 0.3, 0.1]
    p = decode(g)
    assert (p.w_sl, p.w_trail, p.w_tp) == pytest.approx((0.6, 0.3, 0.1))


def test_table_covers_all_22_genes_in_order():
    assert [s.index for s in GENE_SPECS] == list(range(22))
    assert len({s.name for s in GENE_SPECS}) == 22


@pytest.mark.parametrize("genes,fragment", [
    ([0.5] * 21, "22 values"),
    ([0.5] * 23, "22 values"),
    ([0.5] * 13 + [math.nan] + [0.5] * 8, "gene 13 (max_drawdown_pct) is not finite"),
    ([0.5] * 5 + [1.2] + [0.5] * 16, "gene 5 (take_profit_pct) is 1.2, outside [0, 1]"),
    ([-0.1] + [0.5] * 21, "gene 0 (stop_loss_pct)"),
    ([0.5] * 9 + ["x"] + [0.5] * 12, "gene 9 (vol_lookback) is not a number"),
    ("0.5", "list of 22"),
])
def test_invalid_genomes_name_the_bad_gene(genes, fragment):
    with pytest.raises(GenomeError, match=None) as exc:
        validate_genes(genes)
    assert fragment in str(exc.value)


def test_genome_json_round_trip(tmp_path):
    g = np.linspace(0, 1, N_GENES)
    path = tmp_path / "g.json"
    save_genome_file(path, g, label="test")
    [(loaded, meta)] = load_genome_file(path)
    assert np.array_equal(loaded, g) and meta == {"label": "test"}


def test_genome_file_may_hold_a_list(tmp_path):
    path = tmp_path / "many.json"
    path.write_text(json.dumps([{"genes": [0.1] * 22}, {"genes": [0.9] * 22}]))
    assert len(load_genome_file(path)) == 2


def test_genome_show_prints_units(tmp_path, capsys):
    path = tmp_path / "g.json"
    save_genome_file(path, np.full(N_GENES, 0.5))
    assert main(["genome", "show", str(path)]) == 0
    out = capsys.readouterr().out
    assert "stop_loss_pct" in out and "11.00%" in out and "max_hold_days" in out and "days" in out


def test_genome_show_rejects_out_of_range_with_one_line(tmp_path, capsys):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"genes": [0.5] * 21 + [7]}))
    assert main(["genome", "show", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "gene 21 (w_tp)" in err[0]
