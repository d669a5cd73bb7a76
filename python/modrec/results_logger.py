"""Results logger: one JSON line per classified window, or SigMF annotations for a recording."""
import json
import os

import pmt
from gnuradio import gr

from modrec_core import recordings

from .messages import decision, parse

FORMATS = ("jsonl", "sigmf")


class results_logger(gr.basic_block):
    """Message sink for `probs`.

    jsonl: appends one self-contained JSON object per window to `path` as it arrives.
    sigmf: `path` is a recording's base name (path.sigmf-data written by a file sink); when the
    flowgraph stops, path.sigmf-meta gets one annotation per window (label = the decision: a class,
    "unknown" or "noise"), added to the annotations already there, or in a new metadata file
    (datatype cf32_le); read and written through the `sigmf` package.
    """

    def __init__(self, path, fmt="jsonl"):
        gr.basic_block.__init__(self, name="modrec_results_logger", in_sig=None, out_sig=None)
        if fmt not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise ValueError(f"results_logger: folder {folder} does not exist")
        self.path, self.fmt = path, fmt
        self.annotations, self.sample_rate = [], 0.0
        self._file = open(path, "a") if fmt == "jsonl" else None
        self.message_port_register_in(pmt.intern("probs"))
        self.set_msg_handler(pmt.intern("probs"), self.handle)

    def handle(self, msg):
        meta, probs = parse(msg)
        labels = meta.pop("labels")
        record = {**meta, "probs": {name: round(float(p), 6) for name, p in zip(labels, probs)}}
        if self._file:
            self._file.write(json.dumps(record, default=str) + "\n")
            self._file.flush()
            return
        self.sample_rate = meta.get("sample_rate") or self.sample_rate
        self.annotations.append({"core:sample_start": int(meta["window_start"]),
                                 "core:sample_count": int(meta["window_len"]),
                                 "core:label": decision(meta), "modrec:top_class": meta["top_class"],
                                 "modrec:probability": float(meta["top_prob"]),
                                 "modrec:model": meta["model"]})

    def start(self):
        """A flowgraph that runs again appends to the same file."""
        if self._file and self._file.closed:
            self._file = open(self.path, "a")
        return True

    def stop(self):
        if self._file:
            self._file.close()
        else:  # this run's windows, added once
            recordings.add_annotations(self.path, self.annotations, self.sample_rate)
            self.annotations = []
        return True
