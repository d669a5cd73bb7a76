"""One version everywhere, and the installed module has its commands (checked after `make test`'s
build and install; skipped with the reason where the tree was not built)."""
import shutil
import subprocess
from pathlib import Path

import pytest

import modrec_core

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"


@pytest.mark.skipif(not (BUILD / "lib").is_dir(), reason="needs the CMake build tree (make build)")
def test_the_library_carries_the_core_version():
    assert (BUILD / "lib" / f"libgnuradio-modrec.so.{modrec_core.__version__}").exists()


def test_every_app_installs_as_a_modrec_command():
    if shutil.which("modrec_train_and_export") is None:
        pytest.skip("the module is not installed on PATH (make build installs it)")
    for app in sorted((ROOT / "apps").glob("*.py")):
        assert shutil.which(f"modrec_{app.stem}"), f"modrec_{app.stem} is not installed"
    out = subprocess.run(["modrec_make_dataset", "--help"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "--preset" in out.stdout
