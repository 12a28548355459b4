"""Fun-CosyVoice3 through the official `cosyvoice` package: loading, the four modes, cached
voice prompts, seeds, and GPU memory figures.

Loading is guarded (preflight.py, upstream_guard.py): a read-only model directory that the flags
would write into and missing normalizer grammars are found before the package loads; the
package's DEBUG logging and progress bars are kept out of stderr; and its model is wrapped so an
exception in its LLM thread fails the segment instead of hanging it, and a segment closed early
leaves nothing behind.

Two traps of the package's frontend shape the voice cache (cosyvoice/cli/frontend.py):
- with a `zero_shot_spk_id`, frontend_zero_shot returns the cached spk2info entry itself, and
  the cross-lingual and instruct2 frontends then delete keys from it; so one cross-lingual
  request would break every later zero-shot request of that speaker, and two threads would
  write each other's text into the same dict;
- instruct2 with a `zero_shot_spk_id` takes the cached prompt text (the transcript) and drops
  the instruction.
So each request gets its own shallow copy of the cached entry under a temporary id (with the
instruction's tokens as prompt text in instruct mode), removed when the request ends.
"""
from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import threading
import uuid
from dataclasses import dataclass
from typing import Callable, Dict, Iterator, List, Optional

from audio import Pcm, to_pcm, write_wav
from preflight import install_passthrough_normalizer, model_dir_problems, normalizer_status
from upstream_guard import ModelGuard, guard_model
from v3_text import has_tokens, preset_texts, with_prompt_prefix

PROMPT_RATE = 16000
# The frontend's speech tokenizer asserts prompts of at most 30 s (cosyvoice/cli/frontend.py,
# _extract_speech_token): said here first, in words, instead of an AssertionError.
PROMPT_MAX_SECONDS = 30


class SegmentFailure(Exception):
    def __init__(self, code: str, message: str, retryable: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.retryable = retryable


@dataclass(frozen=True)
class Options:
    model_dir: str
    load_vllm: bool
    load_trt: bool
    fp16: bool
    trt_concurrent: int
    stream: bool
    # The package's own log level (its INFO/DEBUG lines are per segment: noise at cosyfleet's info).
    log_level: int = logging.WARNING


@dataclass
class PreparedVoice:
    key: str  # spk2info id
    version: int
    prompt_text: str
    wav_path: str


def is_out_of_memory(error: BaseException) -> bool:
    text = str(error)
    return type(error).__name__ == 'OutOfMemoryError' or 'out of memory' in text.lower() or 'CUBLAS_STATUS_ALLOC_FAILED' in text


class CosyVoiceBackend:
    def __init__(self, options: Options, log: Callable[[str], None]) -> None:
        self.options = options
        self.log = log
        self.model = None
        self.sample_rate = 24000
        self.presets: set = set()
        self._voices: Dict[str, PreparedVoice] = {}
        self._voices_lock = threading.Lock()
        self._prompts_dir = tempfile.mkdtemp(prefix='cosyfleet-prompts-')
        self._cuda = None
        self._warned_instruct_fallback = False
        self.guard: Optional[ModelGuard] = None

    # -- lifecycle -----------------------------------------------------------------------------

    def load(self) -> List[Dict[str, str]]:
        """Loads the model; returns the warnings an operator should see (code, message)."""
        warnings: List[Dict[str, str]] = []
        for problem in model_dir_problems(self.options.model_dir, self.options.load_trt, self.options.load_vllm, self.options.fp16):
            if problem['level'] == 'fail':
                raise RuntimeError(problem['message'])
            self.log(problem['message'])
        normalizer = normalizer_status()
        if not normalizer['ok']:
            install_passthrough_normalizer()
            message = '%s. Until then text is not normalized (Chinese numbers, dates and units are read as written).' % normalizer['detail']
            self.log(message)
            warnings.append({'code': 'text_normalizer_offline', 'message': message})
        quiet_package_output(self.options.log_level)
        from cosyvoice.cli.cosyvoice import AutoModel

        # AutoModel treats a missing directory as a model id to download; preflight refused that.
        self.model = AutoModel(
            model_dir=self.options.model_dir,
            load_trt=self.options.load_trt,
            load_vllm=self.options.load_vllm,
            fp16=self.options.fp16,
            trt_concurrent=self.options.trt_concurrent,
        )
        silence_progress_bars()
        self.guard = guard_model(self.model, self.log)
        self.sample_rate = int(getattr(self.model, 'sample_rate', 24000))
        self.presets = set(self.model.list_available_spks())
        try:
            import torch

            self._cuda = torch.cuda if torch.cuda.is_available() else None
        except ImportError:
            self._cuda = None
        return warnings

    def close(self) -> None:
        self.release_gpu_cache()
        shutil.rmtree(self._prompts_dir, ignore_errors=True)

    # -- GPU memory ----------------------------------------------------------------------------

    def gpu_reserved(self) -> Optional[int]:
        return int(self._cuda.memory_reserved()) if self._cuda else None

    def reset_peak(self) -> None:
        # Peaks are per device: with concurrency > 1 a job's peak includes its neighbours'.
        if self._cuda:
            self._cuda.reset_peak_memory_stats()

    def gpu_memory(self) -> Optional[dict]:
        if not self._cuda:
            return None
        return {
            'allocatedBytes': int(self._cuda.memory_allocated()),
            'reservedBytes': int(self._cuda.memory_reserved()),
            'peakBytes': int(self._cuda.max_memory_allocated()),
        }

    def progress(self, thread_ident: int) -> Optional[int]:
        """Speech tokens the model made so far for the segment running on that thread."""
        return self.guard.progress_of(thread_ident) if self.guard else None

    def sessions(self) -> Optional[int]:
        """Entries in the model's per-session dicts: 0 when idle; growth would be a leak."""
        return self.guard.sessions() if self.guard else None

    def release_gpu_cache(self) -> None:
        if self._cuda:
            self._cuda.empty_cache()

    # -- voices --------------------------------------------------------------------------------

    def prepare_voice(self, voice: dict, pcm_f32le: bytes) -> None:
        """add_zero_shot_spk once per voice version: later requests pass only the cached id."""
        voice_id, version = str(voice['id']), int(voice['version'])
        if int(voice.get('sampleRate', PROMPT_RATE)) != PROMPT_RATE:
            raise SegmentFailure('invalid_value', 'prompt audio must be %d Hz' % PROMPT_RATE)
        seconds = len(pcm_f32le) / 4 / PROMPT_RATE
        if seconds > PROMPT_MAX_SECONDS:
            raise SegmentFailure('invalid_value', 'the prompt is %.1f s long; CosyVoice3 takes at most %d s of prompt audio' % (seconds, PROMPT_MAX_SECONDS))
        key = 'cosyfleet:%s@%d' % (voice_id, version)
        wav_path = os.path.join(self._prompts_dir, '%s.wav' % uuid.uuid4().hex)
        write_wav(wav_path, pcm_f32le, PROMPT_RATE)
        prompt_text = with_prompt_prefix(str(voice.get('transcript', '')))
        self.model.add_zero_shot_spk(prompt_text, wav_path, key)
        with self._voices_lock:
            old = self._voices.get(voice_id)
            self._voices[voice_id] = PreparedVoice(key, version, prompt_text, wav_path)
        if old and old.key != key:
            self._spk2info().pop(old.key, None)
            _remove(old.wav_path)

    def _spk2info(self) -> dict:
        return self.model.frontend.spk2info

    def _voice_for(self, request: dict) -> PreparedVoice:
        prompt = request.get('prompt')
        if not prompt:
            raise SegmentFailure('invalid_value', 'mode "%s" needs a cloned voice' % request.get('mode'))
        with self._voices_lock:
            voice = self._voices.get(str(prompt['id']))
        if not voice or voice.version != int(prompt['version']):
            raise SegmentFailure('engine_failed', 'voice %s@%s was not prepared on this worker' % (prompt['id'], prompt['version']))
        return voice

    # -- synthesis -----------------------------------------------------------------------------

    def synthesize(self, request: dict) -> Iterator[Pcm]:
        """PCM chunks of one segment, as the package yields them."""
        mode = request.get('mode')
        text = str(request['text'])
        speed = float(request.get('speed', 1.0))
        # The package honours speed only without streaming.
        common = {
            'stream': self.options.stream and speed == 1.0,
            'speed': speed,
            'text_frontend': not has_tokens(text),
        }
        if 'seed' in request and request['seed'] is not None:
            set_seed(int(request['seed']))
        if mode == 'preset' and not request.get('prompt'):
            yield from self._preset(str(request['voice']), text, common)
            return
        voice = self._voice_for(request)
        instruction = None
        if mode == 'instruct':
            instruction = (request.get('instruction') or {}).get('text')
            if not instruction:
                raise SegmentFailure('invalid_value', 'mode "instruct" needs an instruction')
        spk_id, prompt_wav = self._borrow(voice, instruction)
        try:
            if mode in ('clone', 'preset'):  # a cloned voice in preset mode: plain cloning
                outputs = self.model.inference_zero_shot(text, voice.prompt_text, prompt_wav, zero_shot_spk_id=spk_id, **common)
            elif mode == 'cross_lingual':
                outputs = self.model.inference_cross_lingual(with_prompt_prefix(text), prompt_wav, zero_shot_spk_id=spk_id, **common)
            elif mode == 'instruct':
                outputs = self.model.inference_instruct2(text, instruction, prompt_wav, zero_shot_spk_id=spk_id, **common)
            else:
                raise SegmentFailure('unsupported_mode', 'unknown mode "%s"' % mode)
            for out in outputs:
                yield to_pcm(out['tts_speech'])
        finally:
            if spk_id:
                self._spk2info().pop(spk_id, None)

    def _preset(self, voice: str, text: str, common: dict) -> Iterator[Pcm]:
        """A speaker of the model's spk2info.pt. CosyVoice3 reads text after its system prompt
        (v3_text.py), which inference_sft does not add: a speaker saved with its prompt
        (add_zero_shot_spk + save_spkinfo, prompt text prefixed) is served as the zero-shot
        speaker it is; an embedding-only speaker gets the prefix on each normalized piece."""
        entry = self._spk2info().get(voice)
        if entry is None:
            raise SegmentFailure('unknown_voice', 'the model has no speaker "%s" (its spk2info.pt has: %s)' % (voice, ', '.join(sorted(self.presets)) or 'none'))
        if 'prompt_text' in entry and 'llm_prompt_speech_token' in entry:
            spk_id = self._copy_entry(voice, entry)
            try:
                for out in self.model.inference_zero_shot(text, '', '', zero_shot_spk_id=spk_id, **common):
                    yield to_pcm(out['tts_speech'])
            finally:
                self._spk2info().pop(spk_id, None)
            return
        plain = dict(common, text_frontend=False)  # preset_texts ran the normalizer already
        for piece in preset_texts(self.model.frontend, text):
            for out in self.model.inference_sft(piece, voice, **plain):
                yield to_pcm(out['tts_speech'])

    def _copy_entry(self, key: str, entry: dict) -> str:
        """A temporary spk2info id holding a shallow copy of `entry`, for one request."""
        temp = '%s#%s' % (key, uuid.uuid4().hex)
        self._spk2info()[temp] = dict(entry)
        return temp

    def _borrow(self, voice: PreparedVoice, instruction: Optional[str]):
        """(temporary spk2info id, '') for this request, or ('', prompt wav) when the cache cannot serve it."""
        cached = self._spk2info().get(voice.key)
        if cached is None:
            return '', voice.wav_path
        entry = dict(cached)
        if instruction is not None:
            extract = getattr(self.model.frontend, '_extract_text_token', None)
            if extract is None:
                if not self._warned_instruct_fallback:
                    self._warned_instruct_fallback = True
                    self.log('this cosyvoice package has no frontend._extract_text_token; instruct requests re-read the prompt audio')
                return '', voice.wav_path
            entry['prompt_text'], entry['prompt_text_len'] = extract(instruction)
        return self._copy_entry(voice.key, entry), ''


def quiet_package_output(level: int) -> None:
    """Upstream's cosyvoice/utils/file_utils.py calls logging.basicConfig(level=DEBUG) at import,
    and logs two INFO lines per text piece. Configured first, the root logger keeps our level and
    format, and basicConfig becomes a no-op."""
    logging.basicConfig(level=level, stream=sys.stderr, format='%(levelname)s %(name)s: %(message)s')
    logging.getLogger().setLevel(level)
    os.environ.setdefault('TQDM_DISABLE', '1')  # tqdm >= 4.66 reads it; older ones need the patch below


def silence_progress_bars() -> None:
    """The package wraps every inference_* loop in tqdm (a bar on stderr per call and piece)."""
    module = sys.modules.get('cosyvoice.cli.cosyvoice')
    if module is not None and hasattr(module, 'tqdm'):
        module.tqdm = lambda iterable, *args, **kwargs: iterable


def set_seed(seed: int) -> None:
    """The package's own seeding when present (random, numpy, torch, CUDA)."""
    try:
        from cosyvoice.utils.common import set_all_random_seed
    except ImportError:
        set_all_random_seed = None
    if set_all_random_seed:
        set_all_random_seed(seed)
        return
    import random

    random.seed(seed)


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass
