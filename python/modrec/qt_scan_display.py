"""Qt scan display: a waterfall of the wideband stream with every signal the scanner reports boxed
over its band and the time it was seen, labelled with its decision and symbol rate."""
from dataclasses import dataclass

import numpy as np
import pmt
from gnuradio import gr
from PyQt5 import Qt, QtCore, QtGui

BOX_COLOR = QtGui.QColor(255, 40, 200)
FLOOR_DB, SPAN_DB = 3.0, 30.0  # waterfall colours: dark at the median level + 3 dB, bright 30 dB above


@dataclass
class SeenSignal:
    """What the display keeps of one signal id: its latest message and where its stretch began."""

    first_sample: int
    last_sample: int
    meta: dict


def label_of(meta):
    """The box's label: decision and symbol rate, e.g. "QPSK 125 kBd"."""
    rate = meta.get("symbol_rate")
    baud = f" {rate / 1e3:.1f} kBd" if rate else ""
    return f"{meta.get('decision', '?')}{baud}"


class scan_display(gr.sync_block, Qt.QWidget):
    """Stream in (the scanner's input) and the scanner's `signals` messages; rows of `fft_size`
    bins, each the mean power spectrum of `row_samples` samples, newest at the top."""

    rows_ready = QtCore.pyqtSignal(object)
    signal_seen = QtCore.pyqtSignal(object)

    def __init__(self, sample_rate, center_freq=0.0, fft_size=1024, row_samples=65536, history=256,
                 title="Scanner", parent=None):
        for name, value in (("fft_size", fft_size), ("row_samples", row_samples), ("history", history)):
            if not (isinstance(value, int) and value >= 16):
                raise ValueError(f"{name} must be a whole number >= 16, got {value!r}")
        if row_samples % fft_size:
            raise ValueError(f"row_samples ({row_samples}) must be a multiple of fft_size ({fft_size})")
        if not (np.isfinite(sample_rate) and sample_rate > 0):
            raise ValueError(f"sample_rate must be a positive number of Hz, got {sample_rate!r}")
        gr.sync_block.__init__(self, name="modrec_scan_display", in_sig=[np.complex64], out_sig=None)
        Qt.QWidget.__init__(self, parent)
        self.sample_rate, self.center_freq, self.title = float(sample_rate), float(center_freq), title
        self.fft_size, self.row_samples, self.history = fft_size, row_samples, history
        self.window = np.hanning(fft_size).astype(np.float32)
        self.pending = np.zeros(0, np.complex64)
        self.waterfall = np.full((history, fft_size), np.nan, np.float32)  # row 0 newest
        self.rows, self.signals = 0, {}
        self.setMinimumSize(480, 320)
        self.rows_ready.connect(self._add_rows)  # queued connections: painting stays on the GUI thread
        self.signal_seen.connect(self._add_signal)
        self.message_port_register_in(pmt.intern("signals"))
        self.set_msg_handler(pmt.intern("signals"), self.handle)

    def handle(self, msg):
        """Message handler (scheduler thread): hand the signal to the GUI thread."""
        self.signal_seen.emit(pmt.to_python(msg))

    def work(self, input_items, output_items):
        for tag in self.get_tags_in_window(0, 0, len(input_items[0]), pmt.intern("rx_freq")):
            self.center_freq = pmt.to_double(tag.value)
        x = np.concatenate([self.pending, input_items[0]])
        n = len(x) // self.row_samples
        if n:
            segs = x[:n * self.row_samples].reshape(n, -1, self.fft_size) * self.window
            power = np.mean(np.abs(np.fft.fftshift(np.fft.fft(segs, axis=2), axes=2)) ** 2, axis=1)
            self.rows_ready.emit(10 * np.log10(power + 1e-20).astype(np.float32))
        self.pending = x[n * self.row_samples:]
        return len(input_items[0])

    def _add_rows(self, rows):
        k = min(len(rows), self.history)
        self.waterfall = np.roll(self.waterfall, k, axis=0)
        self.waterfall[:k] = rows[::-1][:k]
        self.rows += len(rows)
        self.update()

    def _add_signal(self, meta):
        start, end = int(meta["window_start"]), int(meta["window_start"]) + int(meta["window_len"])
        seen = self.signals.get(meta["id"])
        if seen:
            start, end = min(start, seen.first_sample), max(end, seen.last_sample)
        self.signals[meta["id"]] = SeenSignal(start, end, meta)
        self.update()

    def boxes(self):
        """[(QRect in widget pixels, label)] for the signals still inside the waterfall's history."""
        plot, out = self._plot_rect(), []
        span = self.sample_rate
        for s in self.signals.values():
            m = s.meta
            left = (m["freq_hz"] - m["bandwidth_hz"] / 2 - self.center_freq) / span + 0.5
            right = (m["freq_hz"] + m["bandwidth_hz"] / 2 - self.center_freq) / span + 0.5
            newest, oldest = self._row_at(s.last_sample), self._row_at(s.first_sample)
            if newest >= self.history:
                continue
            x0, x1 = plot.left() + left * plot.width(), plot.left() + right * plot.width()
            y0 = plot.top() + newest / self.history * plot.height()
            y1 = plot.top() + min(oldest, self.history) / self.history * plot.height()
            out.append((QtCore.QRect(int(x0), int(y0), max(int(x1 - x0), 2), max(int(y1 - y0), 2)), label_of(m)))
        return out

    def _row_at(self, sample):
        """Rows back from the newest at which `sample` was drawn (0 = newest row)."""
        return max(self.rows - 1 - sample // self.row_samples, 0)

    def _plot_rect(self):
        return QtCore.QRect(4, 22, self.width() - 8, self.height() - 26)

    def paintEvent(self, event):
        painter = QtGui.QPainter(self)
        painter.fillRect(self.rect(), QtGui.QColor(20, 20, 28))
        boxes = self.boxes()
        painter.setPen(QtGui.QColor(230, 230, 230))
        painter.drawText(4, 16, f"{self.title}: {len(boxes)} signals, "
                                f"{self.center_freq / 1e6:.3f} MHz +- {self.sample_rate / 2e6:.3f} MHz")
        painter.drawImage(self._plot_rect(), self._image())
        painter.setPen(QtGui.QPen(BOX_COLOR, 2))
        for rect, text in boxes:
            painter.drawRect(rect)
            painter.drawText(rect.left() + 3, rect.top() + 14, text)

    def _image(self):
        """The waterfall as an RGB image: dark blue (floor) to yellow (SPAN_DB above it)."""
        filled = self.waterfall[:min(self.rows, self.history)]
        floor = (np.median(filled) if filled.size else 0.0) + FLOOR_DB
        v = np.nan_to_num(np.clip((self.waterfall - floor) / SPAN_DB, 0.0, 1.0), nan=0.0)  # rows not yet seen: dark
        rgb = np.stack([255 * v, 255 * np.sqrt(v), 80 * (1 - v)], axis=2).astype(np.uint8)
        rgb = np.ascontiguousarray(rgb)
        self._rgb = rgb  # QImage does not copy: keep the buffer alive while it is drawn
        return QtGui.QImage(rgb.data, rgb.shape[1], rgb.shape[0], 3 * rgb.shape[1], QtGui.QImage.Format_RGB888)
