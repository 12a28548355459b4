"""cosyfleet's patched stand-in for CosyVoice's official FastAPI server
(runtime/python/fastapi/server.py), for Fun-CosyVoice3. Same routes, same form fields, same answer
(raw little-endian int16 PCM at the model's rate), so any client of the official server works,
cosyfleet's engine `cosyvoice-fastapi` among them:

    python workers/cosyvoice/fastapi_server.py --port 50000 --model_dir /models/Fun-CosyVoice3-0.5B

Why not the official one (as of 1822c5c, the ref cosyfleet's image pins, and HEAD):
- its prompt routes decode the upload with load_wav() and hand the *tensor* to the package, whose
  frontend (since 622a3a1) calls load_wav() on it again and fails (FunAudioLLM/CosyVoice issue
  #1805). Here the upload is checked and written to a temporary file whose path the package gets;
- it passes /inference_sft text without CosyVoice3's `<|endofprompt|>` prompt, which HEAD's LLM
  asserts. Here the text is normalized first and each piece prefixed (v3_text.preset_texts), and
  so is cross-lingual text; zero-shot prompt text gets the prefix too;
- it answers 200 before the model runs, so every failure reaches the client as a stream that
  dies. Here nothing is sent until the first audio exists: a failure before it is a JSON error
  with a 4xx/5xx status; a failure after it ends the chunked body without its terminating chunk,
  so clients see a broken stream, never a short one;
- an exception in the package's LLM thread hangs the request forever (upstream_guard.py);
- it allows every CORS origin and listens on 0.0.0.0. Here: no CORS (callers are servers) and
  127.0.0.1 unless --host says otherwise.
Added: GET /health (503 while the model loads), and GET /openapi.json naming this server, so
cosyfleet can tell it from the official one.

Standard library only, except the official package (imported once the model directory is known
to exist) and numpy if present (faster PCM conversion). Python 3.10.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import struct
import sys
import tempfile
import threading
import time
from array import array
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Dict, Iterator, List, NamedTuple, Optional, Tuple
from urllib.parse import parse_qsl, urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from audio import to_pcm  # noqa: E402
from upstream_guard import guard_model  # noqa: E402
from v3_text import END_OF_PROMPT, has_tokens, preset_texts, with_prompt_prefix  # noqa: E402

SERVER_TITLE = 'cosyfleet patched CosyVoice server'
# Bumped when the routes' behaviour changes in a way cosyfleet's engine must know about.
SERVER_VERSION = 1
# A 30 s prompt as 48 kHz stereo float32 is 11.5 MB; nothing a route takes needs more.
DEFAULT_MAX_BODY = 32 * 1024 * 1024
# cosyvoice/cli/frontend.py _extract_speech_token asserts at most 30 s; load_wav asserts >= 16 kHz.
MAX_PROMPT_SECONDS = 30.0
MIN_PROMPT_RATE = 16000
INSTRUCTION_PREFIX = 'You are a helpful assistant. '

ROUTES: Dict[str, Tuple[Tuple[str, ...], bool]] = {
    # route: (required text fields, takes prompt_wav)
    '/inference_sft': (('tts_text', 'spk_id'), False),
    '/inference_zero_shot': (('tts_text', 'prompt_text'), True),
    '/inference_cross_lingual': (('tts_text',), True),
    '/inference_instruct2': (('tts_text', 'instruct_text'), True),
}


def log(message: str) -> None:
    sys.stderr.write('[fastapi_server] %s\n' % message.rstrip('\n'))
    sys.stderr.flush()


class HttpError(Exception):
    """Refused before any audio: answered as {"detail": message} with this status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


# -- request bodies ------------------------------------------------------------------------------


class Upload(NamedTuple):
    filename: str
    data: bytes


def _params(header: str, value: str) -> Message:
    # email's header parsing reads `form-data; name="a"; filename="b.wav"` (quoting, RFC 2231).
    message = Message()
    message[header] = value
    return message


def parse_multipart(body: bytes, boundary: bytes) -> Tuple[Dict[str, str], Dict[str, Upload]]:
    """multipart/form-data (RFC 7578) by hand: email's MIME parser rewrites line endings inside
    binary parts, and a WAV holds any byte sequence."""
    delimiter = b'--' + boundary
    start = body.find(delimiter)
    if start < 0:
        raise HttpError(400, 'multipart body without its boundary')
    fields: Dict[str, str] = {}
    files: Dict[str, Upload] = {}
    pos = start + len(delimiter)
    while not body.startswith(b'--', pos):  # `--boundary--` closes the body
        line_end = body.find(b'\r\n', pos)
        if line_end < 0 or body[pos:line_end].strip(b' \t'):
            raise HttpError(400, 'malformed multipart delimiter')
        end = body.find(b'\r\n' + delimiter, line_end)
        if end < 0:
            raise HttpError(400, 'multipart body ends inside a part')
        head, blank, content = body[line_end + 2:end].partition(b'\r\n\r\n')
        if not blank:
            raise HttpError(400, 'multipart part without a blank line after its headers')
        disposition = ''
        for raw in head.split(b'\r\n'):
            name, colon, value = raw.decode('utf-8', 'replace').partition(':')
            if colon and name.strip().lower() == 'content-disposition':
                disposition = value.strip()
        params = _params('content-disposition', disposition)
        field = params.get_param('name', header='content-disposition')
        if not isinstance(field, str) or not field:
            raise HttpError(400, 'multipart part without a field name')
        filename = params.get_filename()
        if filename is not None:
            files[field] = Upload(filename, content)
        else:
            try:
                fields[field] = content.decode('utf-8')
            except UnicodeDecodeError:
                raise HttpError(400, 'form field %s is not UTF-8' % field) from None
        pos = end + 2 + len(delimiter)
    return fields, files


def parse_form(content_type: str, body: bytes) -> Tuple[Dict[str, str], Dict[str, Upload]]:
    """The form fields and files of a body, as FastAPI's Form() and File() read them."""
    if not body:
        return {}, {}
    params = _params('content-type', content_type)
    kind = params.get_content_type()
    if kind == 'multipart/form-data':
        boundary = params.get_param('boundary')
        if not isinstance(boundary, str) or not 0 < len(boundary) <= 70:
            raise HttpError(400, 'multipart/form-data without a valid boundary')
        return parse_multipart(body, boundary.encode('latin-1'))
    if kind == 'application/x-www-form-urlencoded':
        try:
            return dict(parse_qsl(body.decode('ascii'), keep_blank_values=True, encoding='utf-8', errors='strict')), {}
        except UnicodeError:
            raise HttpError(400, 'urlencoded body is not ASCII with UTF-8 escapes') from None
    raise HttpError(415, 'send the form as multipart/form-data or application/x-www-form-urlencoded')


# -- the prompt recording ------------------------------------------------------------------------


class WavInfo(NamedTuple):
    sample_rate: int
    channels: int
    seconds: float


_PCM, _FLOAT, _EXTENSIBLE = 1, 3, 0xFFFE


def check_wav(data: bytes) -> WavInfo:
    """The RIFF header of an uploaded prompt: PCM or float, >= 16 kHz, some audio, <= 30 s. What
    the package's soundfile reads, minus what its frontend would refuse mid-request."""
    if len(data) < 12 or data[:4] != b'RIFF' or data[8:12] != b'WAVE':
        raise HttpError(400, 'prompt_wav is not a WAV file (RIFF/WAVE)')
    pos, fmt, frames = 12, None, None
    while pos + 8 <= len(data):
        chunk_id, size = data[pos:pos + 4], struct.unpack('<I', data[pos + 4:pos + 8])[0]
        body = data[pos + 8:pos + 8 + size]
        if chunk_id == b'fmt ' and len(body) >= 16:
            tag, channels, rate, _, block_align, bits = struct.unpack('<HHIIHH', body[:16])
            if tag == _EXTENSIBLE and len(body) >= 26:
                tag = struct.unpack('<H', body[24:26])[0]  # the sub-format GUID's first two bytes
            fmt = (tag, channels, rate, block_align, bits)
        elif chunk_id == b'data':
            if fmt is None:
                break
            # Streamed WAVs carry a placeholder size: count what is there.
            frames = len(body) // fmt[3] if fmt[3] else 0
            break
        pos += 8 + size + (size & 1)
    if fmt is None or frames is None:
        raise HttpError(400, 'prompt_wav has no fmt or data chunk')
    tag, channels, rate, block_align, bits = fmt
    if tag not in (_PCM, _FLOAT) or channels < 1 or block_align < 1 or bits not in (8, 16, 24, 32, 64):
        raise HttpError(400, 'prompt_wav must be PCM or float WAV (format %d, %d channels, %d bits)' % (tag, channels, bits))
    if rate < MIN_PROMPT_RATE:
        raise HttpError(400, 'prompt_wav is %d Hz; the model reads prompts at %d Hz or more' % (rate, MIN_PROMPT_RATE))
    seconds = frames / rate
    if frames == 0:
        raise HttpError(400, 'prompt_wav holds no audio')
    if seconds > MAX_PROMPT_SECONDS:
        raise HttpError(400, 'prompt_wav lasts %.1f s; CosyVoice3 takes prompts of at most %d s' % (seconds, MAX_PROMPT_SECONDS))
    return WavInfo(rate, channels, seconds)


# -- the model -----------------------------------------------------------------------------------


def instruction_text(text: str) -> str:
    """instruct2 reads the instruction as CosyVoice3's prompt: it needs `<|endofprompt|>` (the
    official example's form). A caller that sent it already keeps its own."""
    return text if END_OF_PROMPT in text else INSTRUCTION_PREFIX + text + END_OF_PROMPT


def model_outputs(model, route: str, fields: Dict[str, str], prompt_path: Optional[str]) -> Iterator[dict]:
    """What the package yields for a route. A generator: closing it closes the package's generator
    (yield from), which is what lets upstream_guard clean up after a client that left."""
    text = fields['tts_text']
    if route == '/inference_sft':
        for piece in preset_texts(model.frontend, text):
            yield from model.inference_sft(piece, fields['spk_id'], stream=False, text_frontend=False)
    elif route == '/inference_cross_lingual':
        # Cross-lingual text is read after the prompt prefix, like preset text: normalize, then prefix.
        for piece in preset_texts(model.frontend, text):
            yield from model.inference_cross_lingual(piece, prompt_path, stream=False, text_frontend=False)
    elif route == '/inference_zero_shot':
        yield from model.inference_zero_shot(text, with_prompt_prefix(fields['prompt_text']), prompt_path, stream=False, text_frontend=not has_tokens(text))
    else:
        yield from model.inference_instruct2(text, instruction_text(fields['instruct_text']), prompt_path, stream=False, text_frontend=not has_tokens(text))


def to_s16le(speech) -> bytes:
    """One model output as the official server's wire format. Clipped (the official server wraps
    around instead); NaN or inf is a model failure, not audio."""
    pcm = to_pcm(speech)
    if not pcm.finite:
        raise RuntimeError('the model produced NaN or infinite samples (fp16 can cause this)')
    try:
        import numpy
    except ImportError:
        numpy = None
    if numpy is not None:
        floats = numpy.frombuffer(pcm.data, dtype='<f4')
        return (numpy.clip(floats, -1.0, 1.0) * 32767.0).round().astype('<i2').tobytes()
    floats = array('f')
    floats.frombytes(pcm.data)
    if sys.byteorder != 'little':
        floats.byteswap()
    out = array('h', (int(round(max(-1.0, min(1.0, x)) * 32767.0)) for x in floats))
    if sys.byteorder != 'little':
        out.byteswap()
    return out.tobytes()


def openapi_document() -> dict:
    form = {'type': 'object', 'properties': {}}
    paths = {}
    for route, (names, takes_file) in ROUTES.items():
        props = {name: {'type': 'string'} for name in names}
        if takes_file:
            props['prompt_wav'] = {'type': 'string', 'format': 'binary'}
        body = {'content': {'multipart/form-data': {'schema': dict(form, properties=props, required=list(props))}}}
        operation = {'requestBody': body, 'responses': {'200': {'description': 'raw little-endian int16 PCM, mono, at the model rate'}}}
        paths[route] = {'get': operation, 'post': operation}
    paths['/health'] = {'get': {'responses': {'200': {'description': 'model loaded'}, '503': {'description': 'model loading'}}}}
    return {
        'openapi': '3.1.0',
        'info': {'title': SERVER_TITLE, 'version': str(SERVER_VERSION)},
        'x-cosyfleet': {'server': 'workers/cosyvoice/fastapi_server.py', 'version': SERVER_VERSION, 'fixes': ['FunAudioLLM/CosyVoice#1805']},
        'paths': paths,
    }


# -- HTTP ----------------------------------------------------------------------------------------


class Server(ThreadingHTTPServer):
    daemon_threads = True
    # Many keep-alive clients (cosyfleet keeps one connection per concurrent segment).
    request_queue_size = 64

    def __init__(self, address, max_body: int, workdir: str) -> None:
        super().__init__(address, Handler)
        self.max_body = max_body
        self.workdir = workdir  # temporary prompt files live here; removed at exit
        self.model = None  # set once loaded: /health turns ready
        self.sample_rate = 0


class Handler(BaseHTTPRequestHandler):
    server: Server
    protocol_version = 'HTTP/1.1'  # keep-alive and chunked answers
    server_version = 'cosyfleet-cosyvoice/%d' % SERVER_VERSION

    def log_message(self, format, *args):  # noqa: A002 - BaseHTTPRequestHandler's signature
        log('%s %s' % (self.address_string(), format % args))

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        path = urlsplit(self.path).path
        if path not in ROUTES and (self.headers.get('Content-Length', '0') not in ('', '0') or 'Transfer-Encoding' in self.headers):
            # A body no route reads would be taken for the next request on this connection.
            self.close_connection = True
        try:
            if path in ROUTES:
                self._synthesize(path)
            elif self.command != 'GET' and path in ('/health', '/openapi.json'):
                raise HttpError(405, 'Method Not Allowed')
            elif path == '/health':
                model = self.server.model
                status = 200 if model is not None else 503
                body = {'status': 'ready' if model is not None else 'loading', 'sample_rate': self.server.sample_rate}
                self._json(status, body)
            elif path == '/openapi.json':
                self._json(200, openapi_document())
            else:
                raise HttpError(404, 'Not Found')
        except HttpError as error:
            self._json(error.status, {'detail': str(error)})

    def _json(self, status: int, body: dict) -> None:
        data = json.dumps(body, ensure_ascii=False).encode('utf-8')
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        if self.close_connection:
            self.send_header('Connection', 'close')
        self.end_headers()
        self.wfile.write(data)

    def _read_body(self) -> bytes:
        if 'chunked' in self.headers.get('Transfer-Encoding', '').lower():
            self.close_connection = True
            raise HttpError(411, 'send a Content-Length')
        try:
            length = int(self.headers.get('Content-Length') or 0)
        except ValueError:
            self.close_connection = True
            raise HttpError(400, 'bad Content-Length') from None
        if length < 0 or length > self.server.max_body:
            # The body stays unread: the connection cannot be reused.
            self.close_connection = True
            raise HttpError(413, 'body of %d bytes; this server takes at most %d' % (length, self.server.max_body))
        return self.rfile.read(length) if length else b''

    def _synthesize(self, route: str) -> None:
        body = self._read_body()
        model = self.server.model
        if model is None:
            raise HttpError(503, 'the model is still loading')
        fields, files = parse_form(self.headers.get('Content-Type', ''), body)
        names, takes_file = ROUTES[route]
        missing = [name for name in names if name not in fields] + (['prompt_wav'] if takes_file and 'prompt_wav' not in files else [])
        if missing:
            raise HttpError(422, 'missing form field%s: %s' % ('s' if len(missing) > 1 else '', ', '.join(missing)))
        if not fields['tts_text'].strip():
            raise HttpError(422, 'tts_text is empty')
        if route == '/inference_sft':
            speakers = model.list_available_spks()
            if fields['spk_id'] not in speakers:
                # The package would raise KeyError inside its generator, after the status line.
                raise HttpError(400, 'unknown spk_id %r; the model has: %s' % (fields['spk_id'], ', '.join(sorted(speakers)) or 'none'))
        prompt_path = None
        try:
            if takes_file:
                upload = files['prompt_wav'].data
                check_wav(upload)
                # The package's frontend opens the prompt by path several times (load_wav per feature).
                fd, prompt_path = tempfile.mkstemp(suffix='.wav', dir=self.server.workdir)
                with os.fdopen(fd, 'wb') as f:
                    f.write(upload)
            outputs = model_outputs(model, route, fields, prompt_path)
            self._stream(_removing(outputs, prompt_path) if prompt_path else outputs)
        finally:
            if prompt_path is not None:
                _remove(prompt_path)  # also when the generator never started

    def _stream(self, outputs: Iterator[dict]) -> None:
        started = time.monotonic()
        pieces = 0
        try:
            try:
                first = to_s16le(next(outputs)['tts_speech'])
            except StopIteration:
                raise HttpError(500, 'the model produced no audio') from None
            except HttpError:
                raise
            except Exception as error:  # noqa: BLE001 - reported to the client, stack to the log
                log('synthesis failed before any audio: %s: %s' % (type(error).__name__, error))
                raise HttpError(500, 'synthesis failed: %s: %s' % (type(error).__name__, _short(error))) from None
            # Only now that audio exists: the status line.
            self.send_response(200)
            self.send_header('Content-Type', 'application/octet-stream')
            self.send_header('X-Sample-Rate', str(self.server.sample_rate))
            self.send_header('Transfer-Encoding', 'chunked')
            self.end_headers()
            chunk: Optional[bytes] = first
            while chunk is not None:
                if chunk:
                    self.wfile.write(b'%x\r\n%s\r\n' % (len(chunk), chunk))
                    pieces += 1
                try:
                    chunk = to_s16le(next(outputs)['tts_speech'])
                except StopIteration:
                    chunk = None
            self.wfile.write(b'0\r\n\r\n')
            log('%s: %d pieces in %.2f s' % (self.path, pieces, time.monotonic() - started))
        except (BrokenPipeError, ConnectionResetError):
            log('%s: the client went away after %d pieces; stopping the model' % (self.path, pieces))
            self.close_connection = True
        except HttpError:
            raise
        except Exception as error:  # noqa: BLE001 - the stream is under way: break it off
            log('synthesis failed after %d pieces: %s: %s' % (pieces, type(error).__name__, error))
            # No terminating chunk: the client sees an incomplete body, not a short success.
            self.close_connection = True
        finally:
            # Runs the package's clean-up (upstream_guard) when the stream did not end normally.
            close = getattr(outputs, 'close', None)
            if close is not None:
                close()


def _removing(outputs: Iterator[dict], path: str) -> Iterator[dict]:
    """The outputs, and the prompt file gone as soon as they end (before the answer's last chunk)."""
    try:
        yield from outputs
    finally:
        _remove(path)


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


def _short(error: BaseException) -> str:
    text = ' '.join(str(error).split())
    return text[:300]


# -- main ----------------------------------------------------------------------------------------


def load_model(args) -> Tuple[object, int]:
    from cosyvoice.cli.cosyvoice import AutoModel

    model = AutoModel(model_dir=args.model_dir, load_trt=args.load_trt, load_vllm=args.load_vllm, fp16=args.fp16)
    guard_model(model, log)
    return model, int(getattr(model, 'sample_rate', 24000))


def main(argv: Optional[List[str]] = None, loader: Callable = load_model) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--host', default='127.0.0.1', help='address to listen on (default 127.0.0.1; 0.0.0.0 in a container)')
    parser.add_argument('--port', type=int, default=50000)
    parser.add_argument('--model_dir', required=True, help='the downloaded Fun-CosyVoice3-0.5B directory (never downloaded here)')
    parser.add_argument('--fp16', action='store_true')
    parser.add_argument('--load_trt', action='store_true')
    parser.add_argument('--load_vllm', action='store_true')
    parser.add_argument('--max_body_mb', type=float, default=DEFAULT_MAX_BODY / 1024 / 1024, help='largest request body (default 32)')
    args = parser.parse_args(argv)
    if not os.path.isdir(args.model_dir):
        # AutoModel would take a missing directory for a model id and download it.
        log('model directory %s does not exist; download the model there first' % args.model_dir)
        return 2

    workdir = tempfile.mkdtemp(prefix='cosyfleet-fastapi-')
    server = Server((args.host, args.port), int(args.max_body_mb * 1024 * 1024), workdir)
    failed = threading.Event()

    def load() -> None:
        try:
            model, rate = loader(args)
        except BaseException as error:  # noqa: BLE001 - logged; the process exits
            log('could not load the model from %s: %s: %s' % (args.model_dir, type(error).__name__, error))
            failed.set()
            server.shutdown()
            return
        server.sample_rate = rate
        server.model = model
        log('model loaded from %s (%d Hz, speakers: %s)' % (args.model_dir, rate, ', '.join(model.list_available_spks()) or 'none'))

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    # Listening before the model loads lets /health say "loading" instead of refusing connections.
    log('listening on http://%s:%d' % server.server_address[:2])
    threading.Thread(target=load, name='load-model', daemon=True).start()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed.is_set() else 0


if __name__ == '__main__':
    sys.exit(main())
