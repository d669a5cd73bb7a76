"""gr-modrec: GNU Radio blocks for automatic modulation recognition.

The blocks are thin adapters over the pure-Python core package `modrec_core`.
"""
try:
    from .modrec_python import *  # noqa: F401,F403  (C++ blocks, once there are any)
except ModuleNotFoundError:
    pass

from .signal_source import signal_source  # noqa: E402
