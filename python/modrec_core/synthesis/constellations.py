"""Symbol alphabets, each scaled to unit average energy."""
import numpy as np


def _unit_energy(points):
    points = np.asarray(points, dtype=np.complex128)
    return (points / np.sqrt(np.mean(np.abs(points) ** 2))).astype(np.complex64)


def psk(m):
    """M-PSK; QPSK sits on the diagonals (pi/4 offset), as is usual."""
    offset = np.pi / 4 if m == 4 else 0.0
    return _unit_energy(np.exp(1j * (2 * np.pi * np.arange(m) / m + offset)))


def pam(m):
    """Bipolar M-PAM on the I axis: levels -(M-1) .. (M-1) in steps of 2."""
    return _unit_energy(2.0 * np.arange(m) - (m - 1))


def ask(m):
    """Unipolar M-ASK (OOK for M = 2): levels 0 .. M-1 on the I axis."""
    return _unit_energy(np.arange(m, dtype=float))


def qam(m):
    """Square QAM for even powers of two; cross QAM (grid with corners cut) for 32 and 128."""
    side = int(round(np.sqrt(m)))
    if side * side == m:
        levels = 2.0 * np.arange(side) - (side - 1)
        return _unit_energy((levels[:, None] + 1j * levels[None, :]).ravel())
    cross = {32: (6, 1), 128: (12, 2)}  # grid side, corner square cut from each corner
    if m not in cross:
        raise ValueError(f"no QAM layout for M = {m}")
    side, corner = cross[m]
    levels = 2.0 * np.arange(side) - (side - 1)
    grid = (levels[:, None] + 1j * levels[None, :]).ravel()
    edge = levels[side - corner]
    return _unit_energy(grid[(np.abs(grid.real) < edge) | (np.abs(grid.imag) < edge)])


# DVB-S2 / S2X-style ring sizes and radii (radii relative to the inner ring).
_APSK_RINGS = {
    16: ((4, 12), (1.0, 2.7)),
    32: ((4, 12, 16), (1.0, 2.84, 5.27)),
    64: ((4, 12, 20, 28), (1.0, 2.4, 4.3, 7.0)),
    128: ((8, 16, 24, 32, 48), (1.0, 2.0, 3.0, 4.0, 5.2)),
}


def apsk(m):
    """Amplitude-phase shift keying on concentric rings; each ring offset by half a step."""
    counts, radii = _APSK_RINGS[m]
    rings = [r * np.exp(1j * (2 * np.pi * (np.arange(n) + 0.5) / n)) for n, r in zip(counts, radii)]
    return _unit_energy(np.concatenate(rings))
