"""Qt probability display: class probability bars (top class highlighted) over a class-vs-time
strip, headed by the decision ("unknown" and "noise" shown as such)."""
import numpy as np
import pmt
from gnuradio import gr
from PyQt5 import Qt, QtCore, QtGui

from .messages import decision, parse

TOP_COLOR = QtGui.QColor(230, 120, 20)
BAR_COLOR = QtGui.QColor(70, 110, 170)


class probability_display(gr.basic_block, Qt.QWidget):
    """Message sink for `probs`; draws the latest window's probabilities as bars and the last
    `history` windows as a strip (one row per class, brightness = probability)."""

    received = QtCore.pyqtSignal(object, object)

    def __init__(self, title="Modulation", history=200, parent=None):
        gr.basic_block.__init__(self, name="modrec_probability_display", in_sig=None, out_sig=None)
        Qt.QWidget.__init__(self, parent)
        self.title, self.history = title, int(history)
        self.labels, self.probs, self.meta = [], None, {}
        self.strip = np.zeros((0, 0), np.float32)
        self.setMinimumSize(360, 260)
        self.received.connect(self._update)  # Qt's queued connection: painting stays on the GUI thread
        self.message_port_register_in(pmt.intern("probs"))
        self.set_msg_handler(pmt.intern("probs"), self.handle)

    def handle(self, msg):
        """Message handler (scheduler thread): hand the window to the GUI thread."""
        self.received.emit(*parse(msg))

    def top_class(self):
        return self.labels[int(np.argmax(self.probs))] if self.probs is not None else None

    def heading(self):
        """The line above the bars: the decision ("unknown" and "noise" with the nearest class), and the truth."""
        top = int(np.argmax(self.probs))
        said = decision(self.meta)
        head = (f"{said} ({100 * self.probs[top]:.0f}%)" if said == self.labels[top]
                else f"{said} (nearest {self.labels[top]}, {100 * self.probs[top]:.0f}%)")
        return f"{self.title}: {head}{'  truth ' + str(self.meta['mod']) if 'mod' in self.meta else ''}"

    def _update(self, meta, probs):
        labels = list(meta.get("labels", []))
        if labels != self.labels:
            self.labels, self.strip = labels, np.zeros((len(labels), self.history), np.float32)
        self.meta, self.probs = meta, probs
        self.strip = np.roll(self.strip, -1, axis=1)
        self.strip[:, -1] = probs
        self.update()

    def paintEvent(self, event):
        painter = QtGui.QPainter(self)
        painter.fillRect(self.rect(), QtGui.QColor(250, 250, 250))
        if self.probs is None:
            painter.drawText(self.rect(), QtCore.Qt.AlignCenter, f"{self.title}: waiting for windows")
            return
        n, width, height = len(self.labels), self.width(), self.height()
        bars_h = int(height * 0.6)
        row = (bars_h - 24) / n
        label_w = 70
        top = int(np.argmax(self.probs))
        painter.drawText(4, 16, self.heading())
        for k, (name, p) in enumerate(zip(self.labels, self.probs)):
            y = int(24 + k * row)
            painter.setPen(QtGui.QColor(20, 20, 20))
            painter.drawText(4, int(y + row * 0.8), name)
            painter.fillRect(label_w, y + 1, int((width - label_w - 8) * float(p)), max(int(row) - 2, 1),
                             TOP_COLOR if k == top else BAR_COLOR)
        self._paint_strip(painter, bars_h, label_w)

    def _paint_strip(self, painter, y0, x0):
        """Class-over-time strip: rows classes, columns windows (newest right)."""
        n = len(self.labels)
        values = (255 * (1 - np.clip(self.strip, 0, 1))).astype(np.uint8)
        rgb = np.ascontiguousarray(np.repeat(values[:, :, None], 3, axis=2))
        image = QtGui.QImage(rgb.data, rgb.shape[1], n, 3 * rgb.shape[1], QtGui.QImage.Format_RGB888)
        target = QtCore.QRect(x0, y0 + 4, self.width() - x0 - 8, self.height() - y0 - 8)
        painter.drawImage(target, image)
        painter.setPen(QtGui.QColor(20, 20, 20))
        painter.drawText(4, y0 + 16, "history")
