"""GRC integration: block yml files match the blocks, every example compiles with grcc and runs."""
import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
YMLS = sorted((ROOT / "grc").glob("modrec_*.block.yml"))
EXAMPLES = sorted((ROOT / "examples").glob("*.grc"))
HEADLESS = {"signal_source_tags"}  # examples that end by themselves and need no hardware or display


@pytest.mark.parametrize("path", YMLS, ids=lambda p: p.name)
def test_block_yml_matches_the_block(path):
    from gnuradio import modrec

    spec = yaml.safe_load(path.read_text())
    name = spec["id"].removeprefix("modrec_")
    block = getattr(modrec, name)
    make = spec["templates"]["make"]
    kwargs = set(re.findall(r"(\w+)=\$\{", make))
    assert kwargs <= set(inspect.signature(block).parameters), kwargs
    ids = {p["id"] for p in spec["parameters"]}
    assert set(re.findall(r"\$\{(\w+)\}", make)) <= ids
    for callback in spec["templates"].get("callbacks", []):
        assert hasattr(block, callback.split("(")[0]), callback
    assert spec["documentation"].strip()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_compiles_with_grcc(path, tmp_path):
    out = subprocess.run(["grcc", "-o", str(tmp_path), str(path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    script = tmp_path / f"{path.stem}.py"
    assert script.exists()
    if path.stem in HEADLESS:
        run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        assert "Key: mod" in run.stdout and "Key: snr_db" in run.stdout
