"""Wideband SigMF captures, read and written through the `sigmf` package (schema-validated):
what apps/make_scene.py writes and apps/scan.py reads and annotates."""
import json
import os
from dataclasses import dataclass

import numpy as np

SUPPORTED_DATATYPES = ("cf32_le", "ci16_le", "ci8")


@dataclass
class Capture:
    """A recording's samples (complex64), sample rate (Hz), centre frequency (Hz) and metadata."""

    samples: np.ndarray
    sample_rate: float
    frequency: float
    meta: object  # sigmf.SigMFFile


def read_capture(meta_path, samples=True):
    """The Capture of a .sigmf-meta file, or a ValueError naming what is missing or wrong;
    samples=False leaves the data file unread (Capture.samples None, no checksum taken)."""
    if not meta_path.endswith(".sigmf-meta") or not os.path.isfile(meta_path):
        raise ValueError(f"{meta_path}: not a SigMF metadata file (a .sigmf-meta that exists)")
    meta = _open_meta(meta_path, skip_checksum=not samples)
    datatype = meta.get_global_field("core:datatype")
    if datatype not in SUPPORTED_DATATYPES:
        raise ValueError(f"{meta_path}: datatype {datatype!r} is not supported; use one of {', '.join(SUPPORTED_DATATYPES)}")
    rate = meta.get_global_field("core:sample_rate")
    if not isinstance(rate, (int, float)) or not rate > 0:
        raise ValueError(f"{meta_path}: no core:sample_rate (Hz) in its global object")
    captures = meta.get_captures()
    frequency = captures[0].get("core:frequency") if captures else None
    if not isinstance(frequency, (int, float)):
        raise ValueError(f"{meta_path}: no core:frequency in its first capture (the centre frequency, Hz)")
    x = np.asarray(meta.read_samples(), np.complex64).ravel() if samples else None
    return Capture(x, float(rate), float(frequency), meta)


def band_edges(centre, bandwidth, sample_rate, frequency):
    """SigMF's absolute band edges (Hz) of a band given in cycles/sample of a capture."""
    return {"core:freq_lower_edge": frequency + (centre - bandwidth / 2) * sample_rate,
            "core:freq_upper_edge": frequency + (centre + bandwidth / 2) * sample_rate}


def signal_annotation(s, capture):
    """The SigMF annotation of one scanning.ScannedSignal found in `capture`."""
    a = {"core:sample_start": s.sample_start, "core:sample_count": s.sample_count,
         **band_edges(s.centre, s.bandwidth, capture.sample_rate, capture.frequency),
         "core:label": s.label, "modrec:top_prob": round(s.top_prob, 4), "modrec:snr_db": round(s.snr_db, 2),
         "modrec:signal_id": s.id, "modrec:rate_confidence_db": round(s.rate_confidence, 1)}
    if s.symbol_rate is not None:
        a["modrec:symbol_rate"] = s.symbol_rate * capture.sample_rate
    return a


def write_capture(base, samples, sample_rate, frequency, annotations, description):
    """BASE.sigmf-data (cf32_le) and BASE.sigmf-meta with `annotations` (dicts with
    core:sample_start, core:sample_count and any other keys), each written then renamed."""
    import sigmf

    folder = os.path.dirname(os.path.abspath(base))
    if not os.path.isdir(folder):
        raise ValueError(f"{base}: folder {folder} does not exist")
    np.asarray(samples, np.complex64).tofile(base + ".sigmf-data.tmp")
    os.replace(base + ".sigmf-data.tmp", base + ".sigmf-data")
    meta = sigmf.SigMFFile(data_file=base + ".sigmf-data",
                           global_info={"core:datatype": "cf32_le", "core:sample_rate": float(sample_rate),
                                        "core:description": description, "core:extensions": _EXTENSION})
    meta.add_capture(0, metadata={"core:frequency": float(frequency)})
    _annotate(meta, annotations)
    _write_meta(meta, base)


def write_annotations(capture, annotations, out_meta):
    """out_meta: the capture's metadata (same data file) with `annotations` in place of its own; the
    data file is not read again (its core:sha512, if any, is the source's)."""
    import sigmf

    if not out_meta.endswith(".sigmf-meta"):
        raise ValueError(f"{out_meta}: the output must be a .sigmf-meta path")
    src = capture.meta
    meta = sigmf.SigMFFile(metadata={"global": {**src.get_global_info(), "core:extensions": _EXTENSION},
                                     "captures": src.get_captures(), "annotations": []},
                           data_file=src.data_file, skip_checksum=True)
    _annotate(meta, annotations)
    _write_meta(meta, out_meta[:-len(".sigmf-meta")])


def add_annotations(base, annotations, sample_rate=None, description="gr-modrec classifications"):
    """BASE.sigmf-meta with `annotations` added to the ones already there (its other fields kept),
    or, where there is none, a new one for BASE.sigmf-data (cf32_le; sample_rate when known);
    written, then renamed (the classification logger's SigMF output)."""
    import sigmf

    meta_path = base + ".sigmf-meta"
    if os.path.exists(meta_path):
        meta = _open_meta(meta_path, skip_checksum=True)
    else:
        info = {"core:datatype": "cf32_le", "core:description": description}
        if sample_rate:
            info["core:sample_rate"] = float(sample_rate)
        meta = sigmf.SigMFFile(global_info=info)
        meta.add_capture(0)
    if not any(e.get("name") == "modrec" for e in meta.get_global_field("core:extensions") or []):
        meta.set_global_field("core:extensions", (meta.get_global_field("core:extensions") or []) + _EXTENSION)
    _annotate(meta, annotations)
    _write_meta(meta, base)


_EXTENSION = [{"name": "modrec", "version": "0.1.0", "optional": True}]


def _open_meta(meta_path, skip_checksum):
    """The sigmf.SigMFFile of an existing .sigmf-meta, or a one-line ValueError naming it."""
    import sigmf
    from sigmf.error import SigMFError

    try:
        return sigmf.sigmffile.fromfile(meta_path, skip_checksum=skip_checksum)
    except (SigMFError, json.JSONDecodeError, KeyError, OSError) as e:
        raise ValueError(f"{meta_path}: not a readable SigMF recording ({e.__class__.__name__}: {str(e)[:120]})") from None


def _annotate(meta, annotations):
    for a in annotations:
        extra = {k: v for k, v in a.items() if k not in ("core:sample_start", "core:sample_count")}
        meta.add_annotation(int(a["core:sample_start"]), int(a["core:sample_count"]), metadata=extra)


def _write_meta(meta, base):
    meta.validate()
    with open(base + ".sigmf-meta.tmp", "w") as f:
        f.write(meta.dumps(pretty=True))
    os.replace(base + ".sigmf-meta.tmp", base + ".sigmf-meta")
