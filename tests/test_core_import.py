"""The core package imports and synthesizes with GNU Radio hidden."""
import subprocess
import sys
from pathlib import Path

HIDE_GR = """
import importlib.abc, sys
class NoGR(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split('.')[0] in ('gnuradio', 'pmt'):
            raise ImportError('GNU Radio hidden')
sys.meta_path.insert(0, NoGR())
import modrec_core, modrec_core.dataset, modrec_core.loaders, modrec_core.burst_stream, modrec_core.normalize
from modrec_core.synthesis import get_preset, synthesize
assert synthesize(get_preset('sig2019'), [0, 1], 10.0, 0).x.shape == (2, 512)
assert not any(m.split('.')[0] in ('gnuradio', 'pmt') for m in sys.modules)
print('ok')
"""


def test_core_imports_without_gnuradio():
    python_dir = Path(__file__).resolve().parents[1] / "python"
    out = subprocess.run([sys.executable, "-c", HIDE_GR], capture_output=True, text=True,
                         env={"PYTHONPATH": str(python_dir)}, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
