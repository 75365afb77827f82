"""The committed fixtures against the live oracles and the pinned versions."""
import json
import pathlib
import re
import sys

import ml_dtypes
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "fixtures"))
import gen_cast_tables  # noqa: E402
import golden_inputs  # noqa: E402


def load(name):
    return json.loads((ROOT / "tests" / "fixtures" / name).read_text())


def pins(path):
    return dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", (ROOT / path).read_text(), re.M))


def test_cast_tables_equal_live_ml_dtypes():
    """Recomputes all 2^32 fp32 (and 2^16 bf16/fp16) casts with ml_dtypes (about 2 minutes)."""
    committed = load("fp8_casts.json")
    live = gen_cast_tables.build()
    assert committed["decode_f32_bits"] == live["decode_f32_bits"]
    for name, table in live["encode"].items():
        assert committed["encode"][name] == table, name


def test_fixtures_were_made_with_the_pinned_oracles():
    light = pins("requirements.txt")
    heavy = pins("tools/fixtures/requirements-oracle.txt")
    casts = load("fp8_casts.json")["oracle"]
    assert casts["ml_dtypes"] == light["ml_dtypes"] == ml_dtypes.__version__
    golden = load("quant_golden.json")["oracle"]
    assert golden["torch"].split("+")[0] == heavy["torch"]
    assert golden["transformers"] == heavy["transformers"]


def test_golden_input_formula_is_bit_exact_and_stable():
    # A change to golden_inputs.py must be mirrored in tests/golden_inputs.h; this pins a few
    # values so such a change cannot go unnoticed.
    x = golden_inputs.make(rows=2, cols=3, seed=5, exp_lo=-14, exp_hi=-2)
    tiny = golden_inputs.make(rows=1, cols=4, seed=10, exp_lo=-127, exp_hi=-127)
    assert x.dtype == np.float32 and x.shape == (2, 3)
    assert np.all(np.abs(x) >= 2.0 ** -14) and np.all(np.abs(x) < 2.0 ** -1)
    assert np.all((tiny.view(np.uint32) & 0x7F800000) == 0)  # all subnormal
    assert golden_inputs.splitmix64(np.array([0], dtype=np.uint64))[0] == 0xE220A8397B1DCDAF
