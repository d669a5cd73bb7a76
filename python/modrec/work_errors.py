"""How a block's work() fails: one logged line and a clean end of the flowgraph, never an abort.

An exception that leaves a Python work() terminates the whole process inside GNU Radio's
scheduler (exit 134). Blocks wrap work() so the error is logged once, kept on the block as
`error`, and the block returns WORK_DONE, which ends the flowgraph as a finished stream does.
"""
import functools

from gnuradio import gr

WORK_DONE = -1


def ends_flowgraph_on_error(work):
    """Decorator for work(self, ...): an exception is logged, stored in self.error, and ends the stream."""

    @functools.wraps(work)
    def guarded(self, input_items, output_items):
        try:
            return work(self, input_items, output_items)
        except Exception as e:  # anything: letting it reach the scheduler aborts the process
            record_error(self, e)
            return WORK_DONE

    return guarded


def record_error(block, error):
    """Keep `error` on the block (the first one wins) and log it in one line."""
    if getattr(block, "error", None) is None:
        block.error = error
        gr.logger(block.alias()).error(f"{block.alias()}: {error.__class__.__name__}: {error}; ending the flowgraph")
