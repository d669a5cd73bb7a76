"""The `probs` message format shared by the classifier and the blocks that consume it."""
import numpy as np
import pmt


def parse(msg):
    """(meta dict of Python values, probabilities float32 array) from cons(meta, f32vector)."""
    if not (pmt.is_pair(msg) and pmt.is_dict(pmt.car(msg)) and pmt.is_f32vector(pmt.cdr(msg))):
        raise ValueError("expected a modrec probs message: cons(dict, f32vector)")
    return pmt.to_python(pmt.car(msg)), np.array(pmt.f32vector_elements(pmt.cdr(msg)), np.float32)


def decision(meta):
    """What the classifier concluded: a class name, "unknown" or "noise" (the top class for
    messages from before decisions existed)."""
    return meta.get("decision", meta["top_class"])
