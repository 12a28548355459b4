"""Unit tests of the worker's standard-library parts (run by test/cosyvoice/python-units.test.ts:
python3 -m unittest discover -s workers/cosyvoice)."""
import io
import math
import os
import struct
import tempfile
import unittest
import wave
from array import array

from audio import SILENCE_PEAK, f32le_to_floats, to_pcm, write_wav
from backend import is_out_of_memory
from v3_text import PROMPT_PREFIX, _TOKENS, with_prompt_prefix
from protocol import FRAME_AUDIO, MAX_FRAME_BYTES, ProtocolError, encode_audio, encode_json, read_frame


class Framing(unittest.TestCase):
    def test_json_and_audio_round_trip(self):
        samples = array('f', [0.0, 0.5, -0.25]).tobytes()
        stream = io.BytesIO(encode_json({'type': 'hello', 'text': '你好'}) + encode_audio(7, samples))
        self.assertEqual(read_frame(stream), ('json', {'type': 'hello', 'text': '你好'}))
        kind, segment, data = read_frame(stream)
        self.assertEqual((kind, segment), ('audio', 7))
        self.assertEqual(list(f32le_to_floats(data)), [0.0, 0.5, -0.25])
        self.assertIsNone(read_frame(stream))

    def test_header_layout_matches_the_spec(self):
        frame = encode_audio(1, b'\x00' * 8)
        self.assertEqual(struct.unpack('>IBI', frame[:9]), (13, FRAME_AUDIO, 1))

    def test_bad_frames_are_protocol_errors(self):
        cases = {
            'zero length': struct.pack('>IB', 0, 1),
            'too long': struct.pack('>IB', MAX_FRAME_BYTES + 1, 1),
            'unknown kind': struct.pack('>IB', 1, 9),
            'not json': struct.pack('>IB', 4, 1) + b'{{{',
            'no type': struct.pack('>IB', 3, 1) + b'{}',
            'odd audio': struct.pack('>IB', 7, 2) + b'\x00' * 6,
            'truncated': struct.pack('>IB', 10, 1) + b'{"ty',
        }
        for name, raw in cases.items():
            with self.subTest(name):
                with self.assertRaises(ProtocolError):
                    read_frame(io.BytesIO(raw))

    def test_nan_is_refused_when_encoding_json(self):
        with self.assertRaises(ValueError):
            encode_json({'type': 'done', 'ms': math.nan})


class Audio(unittest.TestCase):
    def test_flat_sequences_become_float32_with_peak(self):
        pcm = to_pcm(array('f', [0.1, -0.5, 0.25]))
        self.assertEqual(pcm.samples, 3)
        self.assertTrue(pcm.finite)
        self.assertAlmostEqual(pcm.peak, 0.5)
        self.assertEqual(len(pcm.data), 12)

    def test_nan_and_silence_are_visible(self):
        self.assertFalse(to_pcm([0.1, math.nan]).finite)
        self.assertFalse(to_pcm([math.inf]).finite)
        self.assertLess(to_pcm([0.0] * 10).peak, SILENCE_PEAK)

    def test_prompt_wav_is_16_bit_mono_at_the_given_rate(self):
        data = array('f', [math.sin(k / 10) * 0.5 for k in range(1600)] + [2.0]).tobytes()
        fd, path = tempfile.mkstemp(suffix='.wav')
        os.close(fd)
        try:
            write_wav(path, data, 16000)
            with wave.open(path, 'rb') as w:
                self.assertEqual((w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()), (1, 2, 16000, 1601))
                last = struct.unpack('<h', w.readframes(1601)[-2:])[0]
            self.assertEqual(last, 32767)  # clipped, not wrapped
        finally:
            os.remove(path)


class Text(unittest.TestCase):
    def test_prompt_prefix_once(self):
        self.assertEqual(with_prompt_prefix('hello'), PROMPT_PREFIX + 'hello')
        self.assertEqual(with_prompt_prefix('x<|endofprompt|>hello'), 'x<|endofprompt|>hello')

    def test_tokens_that_must_skip_the_normalizer(self):
        for text in ['a [M][AY0][N][UW1][T] b', '[j][ǐ]', '[breath] hi', '<strong>no</strong>', '<|en|>hi']:
            self.assertIsNotNone(_TOKENS.search(text), text)
        for text in ['plain text, 12 apples.', '今天天气很好。', 'a [ b ] c']:
            self.assertIsNone(_TOKENS.search(text), text)

    def test_out_of_memory_is_recognized(self):
        class OutOfMemoryError(RuntimeError):
            pass

        self.assertTrue(is_out_of_memory(OutOfMemoryError('x')))
        self.assertTrue(is_out_of_memory(RuntimeError('CUDA out of memory. Tried to allocate 20.00 MiB')))
        self.assertTrue(is_out_of_memory(RuntimeError('CUBLAS_STATUS_ALLOC_FAILED when calling cublasCreate')))
        self.assertFalse(is_out_of_memory(ValueError('bad speaker')))


if __name__ == '__main__':
    unittest.main()
