"""gr-modrec: GNU Radio blocks for automatic modulation recognition.

The blocks are thin adapters over the pure-Python core package `modrec_core`.
"""
from .modrec_python import *  # noqa: F401,F403  (C++ blocks: iq_framer)
from .signal_source import signal_source  # noqa: E402
from .classifier import classifier  # noqa: E402
