"""Live accuracy: compares the classifier's top class with the signal source's ground truth, and
counts the windows it called "unknown" or "noise"."""
import collections
import sys

import pmt
from gnuradio import gr

from .messages import decision, parse


class accuracy_monitor(gr.basic_block):
    """Message sink for `probs`; windows carrying a `mod` tag are scored, per class and per SNR.

    Prints the running table every `print_every` scored windows (0: only when the flowgraph stops).
    """

    def __init__(self, print_every=0, out=None):
        gr.basic_block.__init__(self, name="modrec_accuracy_monitor", in_sig=None, out_sig=None)
        self.message_port_register_in(pmt.intern("probs"))
        self.set_msg_handler(pmt.intern("probs"), self.handle)
        self.print_every, self.out = int(print_every), out or sys.stdout
        self.by_class = collections.defaultdict(lambda: [0, 0])  # true class -> [correct, total]
        self.by_snr = collections.defaultdict(lambda: [0, 0])
        self.unlabelled = 0
        self.rejected = collections.Counter()  # "unknown" / "noise" decisions on labelled windows
        self.printed_at = -1

    def handle(self, msg):
        meta, _ = parse(msg)
        truth = meta.get("mod")
        if truth is None:
            self.unlabelled += 1
            return
        hit = int(meta["top_class"] == truth)
        said = decision(meta)
        if said in ("unknown", "noise"):
            self.rejected[said] += 1
        for table, key in ((self.by_class, truth), (self.by_snr, meta.get("snr_db"))):
            if key is not None:
                table[key][0] += hit
                table[key][1] += 1
        if self.print_every and self.scored() % self.print_every == 0:
            self._print()

    def scored(self):
        return sum(total for _, total in self.by_class.values())

    def accuracy(self):
        """Overall accuracy of the scored windows (None before the first)."""
        n = self.scored()
        return sum(c for c, _ in self.by_class.values()) / n if n else None

    def per_snr(self):
        return {snr: c / t for snr, (c, t) in sorted(self.by_snr.items())}

    def per_class(self):
        return {name: c / t for name, (c, t) in sorted(self.by_class.items())}

    def table(self):
        """Running accuracy, overall, per SNR and per class, as text."""
        acc = self.accuracy()
        if acc is None:
            return f"accuracy: no labelled windows yet ({self.unlabelled} unlabelled)"
        lines = [f"accuracy {100 * acc:.2f}% over {self.scored()} windows"]
        lines.append("  per SNR:   " + "  ".join(f"{s:g}dB {100 * a:.0f}%" for s, a in self.per_snr().items()))
        lines.append("  per class: " + "  ".join(f"{c} {100 * a:.0f}%" for c, a in self.per_class().items()))
        lines.append(f"  said unknown {self.rejected['unknown']}, noise {self.rejected['noise']} "
                     f"(top class still scored)")
        return "\n".join(lines)

    def _print(self):
        print(self.table(), file=self.out, flush=True)
        self.printed_at = self.scored()

    def stop(self):
        if self.printed_at != self.scored() or not self.scored():
            self._print()
        return True
