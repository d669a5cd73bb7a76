"""Labelled I/Q windows made by GNU Radio's own blocks, never by modrec_core's synthesizer: the
independent check behind apps/validate_gnuradio.py (docs/field.md).

gr-digital's `generic_mod` (RRC pulses) makes the linear classes, OQPSK is its QPSK with the Q
branch delayed half a symbol, the FSKs are CPFSK (rectangular frequency pulses into
`frequency_modulator_fc`); gr-channels' `channel_model`, `selective_fading_model` and
`iqbal_gen` and gr-blocks' 8-bit conversion make the receiver's conditions. Windows are cut at
random offsets, so symbol timing is anything. `OFDM` (gr-digital's `ofdm_tx`, 64 subcarriers,
QPSK payload) is a class no Sig2019-12 bundle knows: the open-set evaluation's (docs/open-set.md).
"""
import numpy as np
from gnuradio import analog, blocks, channels, digital, gr

SPS = 8  # samples per symbol of every condition but "clock"
CLASSES = ("BPSK", "QPSK", "8PSK", "OQPSK", "2FSK", "4FSK", "8FSK", "16QAM", "32QAM", "64QAM", "4PAM", "8PAM")
FSK_INDEX = 0.5  # tone spacing in units of the symbol rate, as Sig2019-12's FSKs
ROLLOFF = (0.2, 0.5)  # generic_mod's excess bandwidth, drawn per run
MAX_CFO = 0.02  # cycles per sample: a tuned receiver's residual offset
MAX_CLOCK_ERROR = 0.05  # symbol-rate error of the "clock" condition
MULTIPATH_TAPS, MULTIPATH_MAX_DELAY = 3, 8.0  # paths, and their spread in samples (one symbol)
IQ_GAIN_DB, IQ_PHASE_DEG, DC_LEVEL = 1.0, 5.0, 0.1
CONDITIONS = ("timing", "clock", "multipath", "frontend", "combined")
OFDM = "OFDM"
OFDM_PACKET_BYTES = 96


def points(name):
    """Constellation points of a linear class (unit mean energy), written here from their definitions."""
    if name.endswith("PSK") and name != "OQPSK":
        m = {"BPSK": 2, "QPSK": 4, "8PSK": 8}[name]
        offset = np.pi / 4 if m == 4 else 0.0
        return np.exp(1j * (2 * np.pi * np.arange(m) / m + offset))
    if name.endswith("PAM"):
        m = int(name[0])
        p = 2.0 * np.arange(m) - (m - 1)
    elif name == "32QAM":  # cross: a 6x6 grid without its four corners
        g = 2.0 * np.arange(6) - 5
        p = np.array([i + 1j * q for i in g for q in g if not (abs(i) == 5 and abs(q) == 5)])
    else:
        side = int(np.sqrt(int(name[:-3])))
        g = 2.0 * np.arange(side) - (side - 1)
        p = (g[:, None] + 1j * g[None, :]).ravel()
    return (p / np.sqrt(np.mean(np.abs(p) ** 2))).astype(np.complex128)


def _run(source, chain, n_out):
    """Run source -> chain... -> vector sink; the first n_out samples as complex64."""
    tb = gr.top_block()
    sink = blocks.vector_sink_c()
    tb.connect(source, *chain, sink) if chain else tb.connect(source, sink)
    tb.run()
    out = np.array(sink.data(), np.complex64)
    if len(out) < n_out:
        raise RuntimeError(f"the GNU Radio chain produced {len(out)} samples, {n_out} were needed")
    return out[:n_out]


def modulated(name, n_samples, rng, sps=SPS):
    """n_samples of class `name` at `sps` samples per symbol made by gr-digital/gr-analog, unit power."""
    n_symbols = n_samples // sps + 64
    if name == OFDM:
        return _unit_power(_ofdm(n_samples, rng))
    if "FSK" in name:
        m = int(name[0])
        levels = (2.0 * np.arange(m) - (m - 1)) / 2.0
        src = blocks.vector_source_b(rng.integers(0, m, n_symbols).astype(np.uint8).tolist())
        chain = [digital.chunks_to_symbols_bf(levels.tolist()), blocks.repeat(gr.sizeof_float, sps),
                 analog.frequency_modulator_fc(2 * np.pi * FSK_INDEX / sps)]
        return _unit_power(_run(src, chain, n_samples))
    pts = points("QPSK" if name == "OQPSK" else name)
    bits = int(np.log2(len(pts)))
    const = digital.constellation_calcdist(pts.tolist(), list(range(len(pts))), 4, 1).base()
    packed = rng.integers(0, 256, n_symbols * bits // 8 + 8).astype(np.uint8)
    mod = digital.generic_mod(const, differential=False, samples_per_symbol=sps, pre_diff_code=False,
                              excess_bw=float(rng.uniform(*ROLLOFF)))
    x = _run(blocks.vector_source_b(packed.tolist()), [mod], n_samples + sps)
    if name == "OQPSK":  # the Q branch half a symbol late (gr-blocks delay on the Q stream)
        x = _delay_q(x, sps // 2)
    return _unit_power(x[:n_samples])


def _ofdm(n_samples, rng):
    """gr-digital's ofdm_tx (its defaults: 64 subcarriers, 16-sample cyclic prefix) on random
    packets, back to back."""
    packed = rng.integers(0, 256, n_samples // 4 + 4 * OFDM_PACKET_BYTES).astype(np.uint8)
    chain = [blocks.stream_to_tagged_stream(gr.sizeof_char, 1, OFDM_PACKET_BYTES, "packet_len"),
             digital.ofdm_tx(fft_len=64, cp_len=16, packet_length_tag_key="packet_len", bps_header=1,
                             bps_payload=2, rolloff=0, scramble_bits=False)]
    return _run(blocks.vector_source_b(packed.tolist()), chain, n_samples)


def _delay_q(x, samples):
    tb = gr.top_block()
    src, split, delay = blocks.vector_source_c(x.tolist()), blocks.complex_to_float(), blocks.delay(gr.sizeof_float, samples)
    join, sink = blocks.float_to_complex(), blocks.vector_sink_c()
    tb.connect(src, split)
    tb.connect((split, 0), (join, 0))
    tb.connect((split, 1), delay, (join, 1))
    tb.connect(join, sink)
    tb.run()
    return np.array(sink.data(), np.complex64)


def _unit_power(x):
    return (x / np.sqrt(np.mean(np.abs(x[len(x) // 8:]) ** 2))).astype(np.complex64)


def received(x, condition, snr_db, rng, n_out):
    """The first n_out samples of x through the condition's gr-channels chain with complex AWGN at
    `snr_db` (x has unit power)."""
    noise = float(np.sqrt(10.0 ** (-snr_db / 10.0)))
    cfo = float(rng.uniform(-MAX_CFO, MAX_CFO))
    phase = complex(np.exp(2j * np.pi * rng.uniform()))
    seed = int(rng.integers(1, 2 ** 31 - 1))
    epsilon = 1.0 + float(rng.uniform(-MAX_CLOCK_ERROR, MAX_CLOCK_ERROR)) if condition in ("clock", "combined") else 1.0
    chain = []
    if condition in ("multipath", "combined"):
        delays = np.sort(np.concatenate([[0.0], rng.uniform(0.0, MULTIPATH_MAX_DELAY, MULTIPATH_TAPS - 1)]))
        mags = np.exp(-rng.uniform(1.0, 4.0) * delays / MULTIPATH_MAX_DELAY / 2)
        chain.append(channels.selective_fading_model(8, 1e-5, bool(rng.integers(2)), float(rng.uniform(0, 10)),
                                                     seed, delays.tolist(), mags.tolist(), 16))
    chain.append(channels.channel_model(noise, cfo, epsilon, [phase], seed + 1))
    if condition in ("frontend", "combined"):
        chain += [channels.iqbal_gen(float(rng.uniform(-IQ_GAIN_DB, IQ_GAIN_DB)),
                                     float(rng.uniform(-IQ_PHASE_DEG, IQ_PHASE_DEG)), 1),
                  blocks.add_const_cc(complex(DC_LEVEL * rng.uniform() * np.exp(2j * np.pi * rng.uniform())))]
    y = _run(blocks.vector_source_c(x.tolist()), chain, n_out)
    return _eight_bit(y, rng) if condition in ("frontend", "combined") else y


def _eight_bit(y, rng):
    """An RTL-SDR's 8-bit ADC after its AGC: the signal at -25..-8 dBFS RMS, through gr-blocks'
    float_to_char and back."""
    rms = np.sqrt(np.mean(np.abs(y) ** 2) / 2)
    scale = 127.0 * 10 ** (rng.uniform(-25.0, -8.0) / 20) / rms
    tb = gr.top_block()
    src, split, join, sink = blocks.vector_source_c(y.tolist()), blocks.complex_to_float(), blocks.float_to_complex(), blocks.vector_sink_c()
    tb.connect(src, split)
    for k in (0, 1):
        tb.connect((split, k), blocks.float_to_char(1, scale), blocks.char_to_float(1, scale), (join, k))
    tb.connect(join, sink)
    tb.run()
    return np.array(sink.data(), np.complex64)


def windows(name, condition, snr_db, count, length, rng):
    """`count` windows (complex64, (count, length)) of class `name` under `condition`. Each window
    is cut at a random offset of its own stretch of one long transmitted stream, and that stretch
    crosses its own channel (fading, CFO, phase, clock error and front end drawn anew), so a
    condition's accuracy is measured over as many channels as windows."""
    stretch, settle = length + 4 * SPS, 256  # settle: filter and fading start-up left out
    span = int((settle + stretch) * (1 + MAX_CLOCK_ERROR)) + 2 * SPS
    x = modulated(name, count * span, rng)
    out = []
    for k in range(count):
        y = received(x[k * span:(k + 1) * span], condition, snr_db, rng, settle + stretch)[settle:]
        start = int(rng.integers(0, stretch - length))
        out.append(y[start:start + length])
    return np.stack(out)
