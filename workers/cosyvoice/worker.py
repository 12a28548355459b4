"""cosyfleet's CosyVoice3 worker: one Fun-CosyVoice3 model on one GPU, served over the worker
protocol (docs/worker-protocol.md) on stdin/stdout. The supervisor (src/workers/supervisor.ts)
starts one per GPU with CUDA_VISIBLE_DEVICES set, and these variables:

  COSYVOICE_MODEL_DIR       the downloaded Fun-CosyVoice3-0.5B directory (never downloaded here)
  COSYVOICE_LOAD_VLLM       1: the LLM runs on vLLM (batches concurrent requests)
  COSYVOICE_LOAD_TRT        1: the flow decoder runs as a TensorRT engine
  COSYFLEET_FP16            1: half precision
  COSYVOICE_STREAM          1: stream each segment's audio as the model makes it
  COSYVOICE_BAD_AUDIO_LIMIT NaN/silent segments after which the worker reports fp16 as unsafe
  COSYVOICE_PACKAGE_LOG_LEVEL  the package's own log level (WARNING; DEBUG when cosyfleet debugs)
  COSYFLEET_SEGMENT_STALL_MS   a segment with no audio and no new speech token for this long
                               fails as retryable `stalled` and the worker asks to be replaced (0 = off)
  COSYFLEET_WORKER_CONCURRENCY  segments synthesized at once (threads)
  COSYFLEET_WORKER_ENGINE   the engine name to report (cosyvoice)

Threads: one reads stdin (heartbeats are answered while the GPU works), a pool of
COSYFLEET_WORKER_CONCURRENCY runs segments and voice preparation, and a watchdog looks at the
running segments' progress twice a second. Answering heartbeats proves the process is alive, not
that the GPU makes progress: a segment stuck inside the package (a hang that upstream_guard.py
does not know, a wedged kernel) cannot be interrupted from Python, so the watchdog answers for it
and asks to be replaced.
"""
from __future__ import annotations

import logging
import os
import sys
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from audio import SILENCE_PEAK  # noqa: E402
from backend import CosyVoiceBackend, Options, SegmentFailure, is_out_of_memory  # noqa: E402
from protocol import PROTOCOL_VERSION, FrameWriter, ProtocolError, read_frame  # noqa: E402


def log(message: str) -> None:
    sys.stderr.write(message.rstrip('\n') + '\n')
    sys.stderr.flush()


def flag(env, name: str, default: bool = False) -> bool:
    value = env.get(name)
    return default if value is None or value == '' else value.strip().lower() in ('1', 'true', 'yes', 'on')


def rss_bytes() -> int:
    try:
        with open('/proc/self/statm') as f:
            return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')
    except (OSError, ValueError, IndexError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # peak, where /proc is absent


class Segment:
    def __init__(self, segment_id: int) -> None:
        self.id = segment_id
        self.cancelled = threading.Event()
        self.answered = False
        # Set when a pool thread starts running it (not while it waits for one).
        self.thread: Optional[int] = None
        self.last_progress = 0.0
        self.tokens: Optional[int] = None
        self.progress_sent = 0.0


class Cancelled(Exception):
    pass


class Worker:
    def __init__(self, writer: FrameWriter, backend: CosyVoiceBackend, env) -> None:
        self.writer = writer
        self.backend = backend
        self.name = env.get('COSYFLEET_WORKER_ENGINE') or 'cosyvoice'
        self.concurrency = max(1, int(env.get('COSYFLEET_WORKER_CONCURRENCY') or '1'))
        self.fp16 = backend.options.fp16
        self.bad_audio_limit = max(1, int(env.get('COSYVOICE_BAD_AUDIO_LIMIT') or '3'))
        self.pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix='segment')
        self.ready = threading.Event()
        self.segments: Dict[int, Segment] = {}
        self.lock = threading.Lock()
        self.jobs_done = 0
        self.bad_audio = 0
        self.reported_unsafe = False
        self.asked_recycle = False
        self.shutting_down = False
        self.awaiting_audio: Dict[int, dict] = {}
        self.stall_s = max(0, int(env.get('COSYFLEET_SEGMENT_STALL_MS') or '0')) / 1000

    def progressed(self, segment: Segment) -> None:
        segment.last_progress = time.monotonic()

    # -- answers -------------------------------------------------------------------------------

    def answer(self, segment: Segment, message: dict) -> None:
        with self.lock:
            if segment.answered:
                return
            segment.answered = True
            self.segments.pop(segment.id, None)
        self.writer.json(message)

    def fail(self, segment: Segment, code: str, message: str, retryable: bool = False) -> None:
        self.answer(segment, error_message(segment, code, message, retryable))

    # -- segments ------------------------------------------------------------------------------

    def run_segment(self, segment: Segment, request: dict) -> None:
        self.ready.wait()
        outputs = None
        reply: Optional[dict] = None
        recycle: Optional[str] = None
        try:
            if self.shutting_down:
                raise SegmentFailure('shutting_down', 'the worker is shutting down')
            if segment.cancelled.is_set():
                raise Cancelled()
            started = time.perf_counter()
            segment.thread = threading.get_ident()
            self.progressed(segment)
            self.backend.reset_peak()
            outputs = self.backend.synthesize(request)
            held = []  # leading near-silent chunks: sent once real sound follows
            audible = False
            samples = 0
            for pcm in outputs:
                self.progressed(segment)
                if segment.cancelled.is_set():
                    raise Cancelled()
                if not pcm.finite:
                    raise SegmentFailure('bad_audio', 'the model produced NaN or infinite samples', retryable=True)
                if pcm.samples == 0:
                    continue
                if not audible and pcm.peak < SILENCE_PEAK:
                    held.append(pcm)
                    continue
                audible = True
                for chunk in held + [pcm]:
                    if segment.answered:
                        return
                    self.writer.audio(segment.id, chunk.data)
                    samples += chunk.samples
                held = []
            if segment.cancelled.is_set():
                raise Cancelled()
            if not audible:
                raise SegmentFailure('bad_audio', 'the model produced no audible output (empty, all zero or below -60 dBFS)', retryable=True)
            reply = {'type': 'done', 'id': segment.id, 'ms': (time.perf_counter() - started) * 1000, 'samples': samples}
            gpu = self.backend.gpu_memory()
            if gpu is not None:
                reply['gpu'] = gpu
            with self.lock:
                self.jobs_done += 1
        except Cancelled:
            reply = error_message(segment, 'cancelled', 'cancelled')
        except SegmentFailure as failure:
            if failure.code == 'bad_audio':
                self.note_bad_audio()
            reply = error_message(segment, failure.code, str(failure), failure.retryable)
        except Exception as error:  # noqa: BLE001 - every failure of the package ends the segment
            if is_out_of_memory(error):
                recycle = 'cuda_oom'
                reply = error_message(segment, 'out_of_memory', 'CUDA out of memory: %s' % first_line(error), retryable=True)
            else:
                log('segment %d failed:\n%s' % (segment.id, traceback.format_exc()))
                reply = error_message(segment, 'engine_failed', '%s: %s' % (type(error).__name__, first_line(error)))
        finally:
            segment.thread = None
            # Before the answer: once the supervisor has it, this worker may get the next segment.
            # Closing runs upstream_guard's clean-up of a segment that did not finish; upstream
            # empties the CUDA cache after every finished call itself, not after those.
            close = getattr(outputs, 'close', None)
            if close:
                close()
            if recycle or (reply is None or reply.get('type') != 'done'):
                self.backend.release_gpu_cache()
        if recycle:
            # First: the supervisor must stop routing here before the retry is placed.
            self.ask_recycle(recycle)
        if reply is not None:
            self.answer(segment, reply)

    def note_bad_audio(self) -> None:
        with self.lock:
            self.bad_audio += 1
            report = self.bad_audio >= self.bad_audio_limit and not self.reported_unsafe
            if report:
                self.reported_unsafe = True
        if not report:
            return
        if self.fp16:
            self.writer.json({
                'type': 'warning',
                'code': 'fp16_unsafe',
                'message': '%d segments came out NaN or silent with fp16 on; run this model without fp16 (WORKER_FP16=false)%s'
                % (self.bad_audio, ' and without the TensorRT fp16 plan' if self.backend.options.load_trt else ''),
            })
        else:
            self.writer.json({'type': 'warning', 'code': 'bad_audio', 'message': '%d segments came out NaN or silent (fp16 is off)' % self.bad_audio})

    def ask_recycle(self, reason: str) -> None:
        with self.lock:
            if self.asked_recycle:
                return
            self.asked_recycle = True
        # stopFirst: this GPU has no room for a second model while this one holds its memory.
        self.writer.json({'type': 'recycle', 'reason': reason, 'stopFirst': True})

    def prepare_voice(self, segment: Segment, voice: dict, pcm: bytes) -> None:
        self.ready.wait()
        try:
            self.backend.prepare_voice(voice, pcm)
            self.answer(segment, {'type': 'voice_prepared', 'id': segment.id})
        except Exception as error:  # noqa: BLE001
            if is_out_of_memory(error):
                self.backend.release_gpu_cache()
                self.ask_recycle('cuda_oom')
            code = error.code if isinstance(error, SegmentFailure) else 'engine_failed'
            log('preparing voice %s failed:\n%s' % (voice.get('id'), traceback.format_exc()))
            self.fail(segment, code, 'could not prepare voice %s: %s' % (voice.get('id'), first_line(error)))

    # -- the no-progress watchdog --------------------------------------------------------------

    def watch(self) -> None:
        """Progress is audio out of the package or a new speech token of its LLM; a segment
        without either for the stall time fails as retryable and the worker asks to be replaced.
        Token progress also goes to the supervisor, whose own watchdog (for a worker too stuck
        to answer for itself) would otherwise see a long non-streamed segment as stalled."""
        period = min(0.5, max(0.05, self.stall_s / 4))
        while True:
            time.sleep(period)
            now = time.monotonic()
            with self.lock:
                running = [s for s in self.segments.values() if s.thread is not None and not s.answered]
            for segment in running:
                thread = segment.thread
                tokens = self.backend.progress(thread) if thread is not None else None
                if tokens is not None and tokens != segment.tokens:
                    segment.tokens = tokens
                    self.progressed(segment)
                    if now - segment.progress_sent >= period:
                        segment.progress_sent = now
                        self.writer.json({'type': 'progress', 'id': segment.id, 'tokens': tokens})
                elif now - segment.last_progress > self.stall_s:
                    self.stalled(segment, now - segment.last_progress)

    def stalled(self, segment: Segment, idle_s: float) -> None:
        log('segment %d made no progress for %.1f s (COSYFLEET_SEGMENT_STALL_MS); failing it and asking to be replaced' % (segment.id, idle_s))
        segment.cancelled.set()
        self.ask_recycle('stalled')
        self.fail(segment, 'stalled', 'no audio and no progress from the model for %.1f s' % idle_s, retryable=True)

    # -- messages from the supervisor ----------------------------------------------------------

    def start_segment(self, segment_id: int, request: dict) -> None:
        segment = Segment(segment_id)
        with self.lock:
            self.segments[segment_id] = segment
        self.pool.submit(self.run_segment, segment, request)

    def handle(self, message: dict) -> None:
        kind = message['type']
        if kind == 'synth':
            self.start_segment(int(message['id']), message['request'])
        elif kind == 'synth_batch':
            # The package has no batched call (batching is declared unsupported); be lenient.
            for item in message.get('items', []):
                self.start_segment(int(item['id']), item['request'])
        elif kind == 'cancel':
            with self.lock:
                segment = self.segments.get(int(message['id']))
            if segment:
                segment.cancelled.set()
        elif kind == 'prepare_voice':
            self.awaiting_audio[int(message['id'])] = message['voice']
        elif kind == 'heartbeat':
            with self.lock:
                active, done = len(self.segments), self.jobs_done
            self.writer.json({
                'type': 'stats', 'seq': message['seq'], 'rssBytes': rss_bytes(),
                'gpuMemoryBytes': self.backend.gpu_reserved(), 'active': active, 'jobsDone': done,
                'sessions': self.backend.sessions(),
            })
        elif kind == 'shutdown':
            threading.Thread(target=self.shutdown, args=(float(message.get('graceMs', 10000)),), daemon=True).start()

    def on_audio(self, frame_id: int, data: bytes) -> None:
        voice = self.awaiting_audio.pop(frame_id, None)
        if voice is None:
            return
        segment = Segment(frame_id)
        with self.lock:
            self.segments[frame_id] = segment
        self.pool.submit(self.prepare_voice, segment, voice, data)

    def shutdown(self, grace_ms: float) -> None:
        self.shutting_down = True
        deadline = time.monotonic() + grace_ms / 1000
        while time.monotonic() < deadline:
            with self.lock:
                if not self.segments:
                    break
            time.sleep(0.01)
        # A thread inside a GPU kernel cannot be interrupted: answer for it and leave.
        with self.lock:
            left = list(self.segments.values())
        for segment in left:
            segment.cancelled.set()
            self.fail(segment, 'shutting_down', 'the worker stopped before the segment finished')
        self.backend.close()
        os._exit(0)

    def read_loop(self, stream) -> None:
        try:
            while True:
                frame = read_frame(stream)
                if frame is None:
                    # The supervisor is gone (even by SIGKILL): nobody can read our audio.
                    os._exit(0 if self.ready.is_set() else 1)
                if frame[0] == 'json':
                    self.handle(frame[1])
                else:
                    self.on_audio(frame[1], frame[2])
        except ProtocolError as error:
            log('protocol error: %s' % error)
            self.writer.json({'type': 'fatal', 'message': 'protocol error: %s' % error})
            os._exit(3)
        except Exception:  # noqa: BLE001
            log('worker crashed:\n%s' % traceback.format_exc())
            os._exit(70)


def error_message(segment: Segment, code: str, message: str, retryable: bool = False) -> dict:
    body = {'type': 'error', 'id': segment.id, 'code': code, 'message': message}
    if retryable:
        body['retryable'] = True
    return body


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:500] if text else type(error).__name__


def options_from(env) -> Options:
    concurrency = max(1, int(env.get('COSYFLEET_WORKER_CONCURRENCY') or '1'))
    level = getattr(logging, (env.get('COSYVOICE_PACKAGE_LOG_LEVEL') or 'WARNING').upper(), logging.WARNING)
    return Options(
        model_dir=env.get('COSYVOICE_MODEL_DIR') or 'pretrained_models/Fun-CosyVoice3-0.5B',
        load_vllm=flag(env, 'COSYVOICE_LOAD_VLLM'),
        load_trt=flag(env, 'COSYVOICE_LOAD_TRT'),
        fp16=flag(env, 'COSYFLEET_FP16'),
        trt_concurrent=concurrency,
        stream=flag(env, 'COSYVOICE_STREAM', True),
        log_level=level if isinstance(level, int) else logging.WARNING,
    )


def take_stdout():
    """The protocol's own copy of fd 1; fd 1 itself then points at stderr, so neither a stray
    print nor a native library (TensorRT, onnxruntime) writing to stdout can corrupt frames."""
    protocol_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(protocol_fd, 'wb')


def main() -> None:
    env = os.environ
    writer = FrameWriter(take_stdout())
    backend = CosyVoiceBackend(options_from(env), log)
    worker = Worker(writer, backend, env)
    writer.json({
        'type': 'hello', 'protocol': PROTOCOL_VERSION, 'pid': os.getpid(), 'engine': worker.name,
        'device': {'cudaVisibleDevices': env.get('CUDA_VISIBLE_DEVICES'), 'fp16': worker.fp16},
    })
    # Read from the start: a supervisor that goes away while the model loads must end us.
    threading.Thread(target=worker.read_loop, args=(sys.stdin.buffer,), daemon=True, name='stdin').start()
    try:
        warnings = backend.load()
    except Exception as error:  # noqa: BLE001
        log('could not load the model:\n%s' % traceback.format_exc())
        writer.json({'type': 'fatal', 'message': 'could not load the model: %s: %s' % (type(error).__name__, first_line(error))})
        os._exit(1)
    writer.json({
        'type': 'ready',
        'capabilities': {
            'name': worker.name,
            'sampleRate': backend.sample_rate,
            'concurrency': worker.concurrency,
            'streaming': backend.options.stream,
            'batching': {'supported': False, 'maxBatch': 1},
            'voices': sorted(backend.presets),
        },
    })
    for warning in warnings:
        writer.json({'type': 'warning', **warning})
    worker.ready.set()
    if worker.stall_s > 0:
        threading.Thread(target=worker.watch, daemon=True, name='watchdog').start()
    threading.Event().wait()  # the reader thread or a shutdown ends the process


if __name__ == '__main__':
    main()
