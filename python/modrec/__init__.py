"""gr-modrec: GNU Radio blocks for automatic modulation recognition.

The blocks are thin adapters over the pure-Python core package `modrec_core`.
"""
from .modrec_python import *  # noqa: F401,F403  (C++ blocks: iq_framer)
from .signal_source import signal_source  # noqa: E402
from .classifier import classifier  # noqa: E402
from .accuracy_monitor import accuracy_monitor  # noqa: E402
from .results_logger import results_logger  # noqa: E402
from .scanner import scanner  # noqa: E402
from .scene_source import scene_source  # noqa: E402
from .scan_annotation_writer import scan_annotation_writer  # noqa: E402

__all__ = ["iq_framer",  # noqa: F405  (from the bindings)
           "signal_source", "classifier", "accuracy_monitor", "results_logger", "scanner", "scene_source",
           "scan_annotation_writer", "probability_display", "scan_display"]


def probability_display(*args, **kwargs):
    """The Qt probability display (imported on use: headless flowgraphs need no Qt)."""
    from .qt_display import probability_display as display

    return display(*args, **kwargs)


def scan_display(*args, **kwargs):
    """The Qt scan display (imported on use, as probability_display is)."""
    from .qt_scan_display import scan_display as display

    return display(*args, **kwargs)
