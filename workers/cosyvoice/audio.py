"""Audio the worker handles: the model's output as protocol PCM, checks for the fp16 failure
users report (NaN or silent output), and prompt recordings written as WAV for the package.

The official package yields torch tensors shaped [1, samples]; anything else must be a flat
sequence of floats (the stand-in model of the tests yields array('f')). torch is imported only
when a tensor arrives, so this module runs on the standard library alone.
"""
from __future__ import annotations

import math
import sys
import wave
from array import array
from typing import NamedTuple

# Peak below -60 dBFS: what users describe as "silent audio" from fp16 + TensorRT.
SILENCE_PEAK = 1e-3


class Pcm(NamedTuple):
    data: bytes  # float32 little-endian
    samples: int
    peak: float  # largest |x|; NaN when not finite
    finite: bool


def to_pcm(speech) -> Pcm:
    if hasattr(speech, 'detach'):
        import torch  # the official package's output; torch is installed wherever it runs

        flat = speech.detach().reshape(-1).float()
        n = int(flat.numel())
        if n == 0:
            return Pcm(b'', 0, 0.0, True)
        finite = bool(torch.isfinite(flat).all())
        peak = float(flat.abs().max()) if finite else math.nan
        return Pcm(flat.cpu().numpy().astype('<f4', copy=False).tobytes(), n, peak, finite)
    samples = speech if isinstance(speech, array) and speech.typecode == 'f' else array('f', speech)
    finite = all(math.isfinite(x) for x in samples)
    peak = max((abs(x) for x in samples), default=0.0) if finite else math.nan
    if sys.byteorder != 'little':
        samples = array('f', samples)
        samples.byteswap()
    return Pcm(samples.tobytes(), len(samples), peak, finite)


def f32le_to_floats(data: bytes) -> array:
    samples = array('f')
    samples.frombytes(data)
    if sys.byteorder != 'little':
        samples.byteswap()
    return samples


def write_wav(path: str, data: bytes, sample_rate: int) -> None:
    """float32 little-endian mono -> 16-bit PCM WAV (what the package's load_wav reads)."""
    pcm = array('h', (int(round(max(-1.0, min(1.0, x)) * 32767)) for x in f32le_to_floats(data)))
    if sys.byteorder != 'little':
        pcm.byteswap()
    with wave.open(path, 'wb') as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm.tobytes())
