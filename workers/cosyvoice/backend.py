"""Fun-CosyVoice3 through the official `cosyvoice` package: loading, the four modes, cached
voice prompts, seeds, and GPU memory figures.

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

import os
import re
import shutil
import tempfile
import threading
import uuid
from dataclasses import dataclass
from typing import Callable, Dict, Iterator, Optional

from audio import Pcm, to_pcm, write_wav

END_OF_PROMPT = '<|endofprompt|>'
# Version 3 reads prompt transcripts (zero-shot) and cross-lingual text after this system prompt;
# without it the model may speak the prompt.
PROMPT_PREFIX = 'You are a helpful assistant.' + END_OF_PROMPT
PROMPT_RATE = 16000
# Pronunciation tokens ([M][AY0], [j][ǐ]), tags ([breath], <strong>) and control tokens that the
# package's text normalizer would mangle: text holding them skips the normalizer.
_TOKENS = re.compile(r'\[[^\[\]\s]{1,24}\]|</?strong>|<\|[^|<>]{1,32}\|>')


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
    empty_cache: bool


@dataclass
class PreparedVoice:
    key: str  # spk2info id
    version: int
    prompt_text: str
    wav_path: str


def with_prompt_prefix(text: str) -> str:
    return text if END_OF_PROMPT in text else PROMPT_PREFIX + text


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

    # -- lifecycle -----------------------------------------------------------------------------

    def load(self) -> None:
        if not os.path.isdir(self.options.model_dir):
            # AutoModel would try to download a model id instead; cosyfleet never downloads.
            raise RuntimeError('model directory %s does not exist (COSYVOICE_MODEL_DIR); download the model there first' % self.options.model_dir)
        from cosyvoice.cli.cosyvoice import AutoModel

        self.model = AutoModel(
            model_dir=self.options.model_dir,
            load_trt=self.options.load_trt,
            load_vllm=self.options.load_vllm,
            fp16=self.options.fp16,
            trt_concurrent=self.options.trt_concurrent,
        )
        self.sample_rate = int(getattr(self.model, 'sample_rate', 24000))
        self.presets = set(self.model.list_available_spks())
        try:
            import torch

            self._cuda = torch.cuda if torch.cuda.is_available() else None
        except ImportError:
            self._cuda = None

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

    def release_gpu_cache(self) -> None:
        if self._cuda:
            self._cuda.empty_cache()

    # -- voices --------------------------------------------------------------------------------

    def prepare_voice(self, voice: dict, pcm_f32le: bytes) -> None:
        """add_zero_shot_spk once per voice version: later requests pass only the cached id."""
        voice_id, version = str(voice['id']), int(voice['version'])
        if int(voice.get('sampleRate', PROMPT_RATE)) != PROMPT_RATE:
            raise SegmentFailure('invalid_value', 'prompt audio must be %d Hz' % PROMPT_RATE)
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
            'text_frontend': _TOKENS.search(text) is None,
        }
        if 'seed' in request and request['seed'] is not None:
            set_seed(int(request['seed']))
        if mode == 'preset' and not request.get('prompt'):
            voice = str(request['voice'])
            if voice not in self.presets:
                raise SegmentFailure('unknown_voice', 'the model has no speaker "%s" (its spk2info.pt has: %s)' % (voice, ', '.join(sorted(self.presets)) or 'none'))
            outputs = self.model.inference_sft(text, voice, **common)
            for out in outputs:
                yield to_pcm(out['tts_speech'])
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
        temp = '%s#%s' % (voice.key, uuid.uuid4().hex)
        self._spk2info()[temp] = entry
        return temp, ''


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
