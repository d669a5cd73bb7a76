"""The layering: the core package imports (every module of it) and synthesizes with GNU Radio
hidden, and the apps are shims over the core that never import each other."""
import ast
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
import importlib, pkgutil, modrec_core
names = [m.name for m in pkgutil.walk_packages(modrec_core.__path__, 'modrec_core.')]
for name in names:
    importlib.import_module(name)
assert 'modrec_core.runs' in names and 'modrec_core.engine' in names
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


def test_no_app_imports_another_app():
    apps = Path(__file__).resolve().parents[1] / "apps"
    names = {p.stem for p in apps.glob("*.py")}
    for path in apps.glob("*.py"):
        tree = ast.parse(path.read_text())
        imported = {a.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names}
        imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom) and node.module}
        assert not imported & names, f"{path.name} imports the app(s) {sorted(imported & names)}"
