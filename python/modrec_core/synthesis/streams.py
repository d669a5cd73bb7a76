"""Per-example random streams: example i's draws depend only on (seed, i, stream name).

Examples are grouped in fixed blocks of BLOCK; each (block, name) pair has its own generator,
so a batch of 1000 and ten batches of 100 produce the same bytes, and switching one impairment
off leaves every other draw unchanged.
"""
import zlib

import numpy as np

BLOCK = 256


class ExampleStreams:
    """Random draws for examples first .. first+count-1 of one seed."""

    def __init__(self, seed, first, count):
        if seed < 0 or first < 0 or count < 1:
            raise ValueError(f"need seed >= 0, first >= 0, count >= 1 (got {seed}, {first}, {count})")
        self.seed, self.first, self.count = int(seed), int(first), int(count)

    def uniform(self, name, shape=(), low=0.0, high=1.0):
        """Uniform floats in [low, high), shape (count, *shape), float64."""
        u = self._draw(name, lambda g, n: g.random((n, *shape)))
        return low + (high - low) * u

    def normal(self, name, shape=()):
        """Standard normal floats, shape (count, *shape), float32."""
        return self._draw(name, lambda g, n: g.standard_normal((n, *shape), dtype=np.float32))

    def _draw(self, name, fill):
        key = zlib.crc32(name.encode())
        b0, b1 = self.first // BLOCK, (self.first + self.count - 1) // BLOCK
        parts = [fill(generator(self.seed, b, key), BLOCK) for b in range(b0, b1 + 1)]
        start = self.first - b0 * BLOCK
        whole = parts[0] if len(parts) == 1 else np.concatenate(parts)
        return whole[start:start + self.count]


# Spawn keys of the project's other random streams (not per example), one place so that no two
# share a key; their values are kept so that splits, batch orders and resumed runs stay the same.
SPLIT_KEY = 0x5EED  # dataset.stratified_split
SMALL_SAMPLE_KEY = 0xE7A  # training.small_sample
BURST_CLASS_KEY = 0xC1A5  # burst_stream: which class each burst is
BURST_GAP_KEY = 0x6A9  # burst_stream: random gap lengths
CROP_KEY = 7  # training: random crop of a batch, keyed (epoch, batch, CROP_KEY)
AUGMENT_KEY = 0xA06  # training: symmetry augmentation of a batch, keyed (epoch, batch, AUGMENT_KEY)
OOD_KEY = 0x00D  # apps/make_ood_set: GNU Radio OFDM and noise windows


def generator(seed, *key):
    """A numpy Generator for (seed, spawn key): the one way the project seeds a stream."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))
