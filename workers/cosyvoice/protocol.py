"""Framing of the cosyfleet worker protocol (docs/worker-protocol.md), standard library only.

Frames in both directions: u32 big-endian length N, u8 kind, N-1 bytes of body. Kind 1 is one
UTF-8 JSON object with a string "type"; kind 2 is audio: u32 big-endian id, then float32
little-endian mono samples.
"""
from __future__ import annotations

import json
import struct
import threading
from typing import BinaryIO, Optional, Tuple, Union

PROTOCOL_VERSION = 1
FRAME_JSON = 1
FRAME_AUDIO = 2
# Larger frames are a protocol error, as on the supervisor's side.
MAX_FRAME_BYTES = 64 * 1024 * 1024

JsonFrame = Tuple[str, dict]
AudioFrame = Tuple[str, int, bytes]


class ProtocolError(Exception):
    """The peer broke the framing; the connection cannot be trusted any more."""


def encode_json(message: dict) -> bytes:
    # allow_nan=False: NaN is not JSON, and the supervisor's parser would call it a protocol error.
    body = json.dumps(message, ensure_ascii=False, separators=(',', ':'), allow_nan=False).encode('utf-8')
    return struct.pack('>IB', len(body) + 1, FRAME_JSON) + body


def encode_audio(segment_id: int, pcm_f32le: bytes) -> bytes:
    if len(pcm_f32le) % 4:
        raise ValueError('audio must be whole float32 samples')
    return struct.pack('>IBI', len(pcm_f32le) + 5, FRAME_AUDIO, segment_id) + pcm_f32le


def _read_exact(stream: BinaryIO, n: int) -> Optional[bytes]:
    """n bytes, or None when the stream ended before the first of them."""
    chunks = []
    got = 0
    while got < n:
        chunk = stream.read(n - got)
        if not chunk:
            if got == 0:
                return None
            raise ProtocolError('the stream ended inside a frame')
        chunks.append(chunk)
        got += len(chunk)
    return b''.join(chunks)


def read_frame(stream: BinaryIO) -> Optional[Union[JsonFrame, AudioFrame]]:
    """The next frame, or None when the stream ended cleanly between frames."""
    head = _read_exact(stream, 5)
    if head is None:
        return None
    length, kind = struct.unpack('>IB', head)
    if length < 1 or length > MAX_FRAME_BYTES:
        raise ProtocolError('bad frame length %d' % length)
    body = _read_exact(stream, length - 1) if length > 1 else b''
    if body is None:
        raise ProtocolError('the stream ended inside a frame')
    if kind == FRAME_JSON:
        try:
            message = json.loads(body.decode('utf-8'))
        except (UnicodeDecodeError, ValueError):
            raise ProtocolError('a JSON frame does not hold JSON')
        if not isinstance(message, dict) or not isinstance(message.get('type'), str):
            raise ProtocolError('a JSON frame must hold an object with a "type"')
        return ('json', message)
    if kind == FRAME_AUDIO:
        if len(body) < 4 or (len(body) - 4) % 4:
            raise ProtocolError('an audio frame must hold an id and whole float32 samples')
        return ('audio', struct.unpack('>I', body[:4])[0], body[4:])
    raise ProtocolError('unknown frame kind %d' % kind)


class FrameWriter:
    """Writes whole frames from any thread; a frame is never interleaved with another."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._lock = threading.Lock()

    def json(self, message: dict) -> None:
        self._write(encode_json(message))

    def audio(self, segment_id: int, pcm_f32le: bytes) -> None:
        self._write(encode_audio(segment_id, pcm_f32le))

    def _write(self, frame: bytes) -> None:
        with self._lock:
            self._out.write(frame)
            self._out.flush()
