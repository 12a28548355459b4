"""Stand-in for cosyvoice/cli/model.py's CosyVoice3Model, keeping its threading and bookkeeping
exactly where the worker depends on them (upstream 1822c5c and ace7c47, CosyVoice2Model.tts and
CosyVoice3Model.token2wav):

- tts() registers the session in tts_speech_token_dict / llm_end_dict / hift_cache_dict under a
  uuid, starts llm_job in a threading.Thread and, streaming, polls until llm_end_dict[uuid] is
  True: which only llm_job sets, and only when the LLM ends normally. An exception in the thread
  is printed by threading.excepthook and the loop polls on forever (the hang of issue 11);
  without streaming, p.join() returns and whatever tokens exist are turned into audio.
- the first streamed chunk needs token_hop_len (25) + the prompt's padding to a multiple of 25 +
  pre_lookahead_len (3) tokens; later chunks token_hop_len each. At HEAD the hop doubles after
  every chunk up to 100, on `self`, and is never reset: later calls start at 100.
- the clean-up (pop of the three dicts, torch.cuda.empty_cache()) runs only after the last
  chunk: a generator closed early skips it, and its LLM thread runs on.
- speed != 1 with streaming fails an assert in token2wav.

token2wav makes a tone instead of speech (960 samples per speech token at 24 kHz), with the
`nanonce`/`silentonce`/`nanalways` cues of the README.
"""
import math
import random
import threading
import time
import uuid
from array import array

import torch
from cosyvoice import ref
from cosyvoice.cli import journal
from cosyvoice.llm.llm import decode

SAMPLE_RATE = 24000
SAMPLES_PER_TOKEN = 960
POLL_SECONDS = 0.01  # upstream sleeps 0.1 s per poll; shorter here only to keep tests quick


_TONES = {}


def _tone(freq, start, n):
    """n samples of a sine at an integer frequency from sample `start` (a one-second table repeats
    seamlessly; slicing it keeps the stand-in fast)."""
    table = _TONES.get(freq)
    if table is None:
        table = _TONES[freq] = array('f', (0.3 * math.sin(2 * math.pi * freq * k / SAMPLE_RATE) for k in range(SAMPLE_RATE)))
    out = array('f')
    at = start % SAMPLE_RATE
    while len(out) < n:
        take = min(n - len(out), SAMPLE_RATE - at)
        out.extend(table[at:at + take])
        at = 0
    return out


class CosyVoice3Model:
    def __init__(self, llm, fp16=False):
        self.llm = llm
        self.fp16 = fp16
        self.token_hop_len = 25
        self.token_max_hop_len = 4 * self.token_hop_len
        self.stream_scale_factor = 2
        self.pre_lookahead_len = 3
        self.lock = threading.Lock()
        self.tts_speech_token_dict = {}
        self.llm_end_dict = {}
        self.hift_cache_dict = {}
        self.silent_tokens = []

    def sessions(self):
        return len(self.tts_speech_token_dict) + len(self.llm_end_dict) + len(self.hift_cache_dict)

    def llm_job(self, text, prompt_text, llm_prompt_speech_token, llm_embedding, uuid):
        for i in self.llm.inference(text=text, text_len=len(text), prompt_text=prompt_text, prompt_text_len=len(prompt_text),
                                    prompt_speech_token=llm_prompt_speech_token, prompt_speech_token_len=len(llm_prompt_speech_token),
                                    embedding=llm_embedding, uuid=uuid):
            self.tts_speech_token_dict[uuid].append(i)
        self.llm_end_dict[uuid] = True

    def token2wav(self, token, embedding, token_offset, uuid, bad, finalize=False, speed=1.0):
        if self.hift_cache_dict[uuid] is None:
            # The phase stands for the sampling noise: seeded, it repeats; unseeded, it differs.
            self.hift_cache_dict[uuid] = {'mel': None, 'speech_offset': random.randrange(SAMPLE_RATE)}
        if speed != 1.0:
            assert token_offset == 0 and finalize is True, 'speed change only support non-stream inference mode'
        n = int((len(token) - token_offset) * SAMPLES_PER_TOKEN / speed)
        start = self.hift_cache_dict[uuid]['speech_offset']
        self.hift_cache_dict[uuid]['speech_offset'] += n
        if bad == 'nan':
            return array('f', [math.nan] * n)
        if bad == 'silent':
            return array('f', [0.0] * n)
        return _tone(int(120 + 300 * (embedding[0] % 1.0)), start, n)

    def tts(self, text=(), flow_embedding=(0.5,), llm_embedding=(), prompt_text=(), llm_prompt_speech_token=(), flow_prompt_speech_token=(),
            prompt_speech_feat=(), stream=False, speed=1.0, **kwargs):
        this_uuid = str(uuid.uuid1())
        spoken = decode(text)
        # The fp16 failures users report spoil a whole call: decided once per call.
        bad = None
        if 'nanalways' in spoken or ('nanonce' in spoken and journal.once('nan', spoken)):
            bad = 'nan'
        elif 'silentonce' in spoken and journal.once('silent', spoken):
            bad = 'silent'
        journal.record('tts_start', uuid=this_uuid, sessions_before=self.sessions(), token_hop_len=self.token_hop_len, stream=stream)
        with self.lock:
            self.tts_speech_token_dict[this_uuid], self.llm_end_dict[this_uuid] = [], False
            self.hift_cache_dict[this_uuid] = None
        torch.cuda.allocate(50_000)
        try:
            p = threading.Thread(target=self.llm_job, args=(text, prompt_text, llm_prompt_speech_token, llm_embedding, this_uuid))
            p.start()
            if stream is True:
                token_offset = 0
                pad = -len(flow_prompt_speech_token) % self.token_hop_len
                while True:
                    time.sleep(POLL_SECONDS)
                    hop = self.token_hop_len + pad if token_offset == 0 else self.token_hop_len
                    if len(self.tts_speech_token_dict[this_uuid]) - token_offset >= hop + self.pre_lookahead_len:
                        tokens = self.tts_speech_token_dict[this_uuid][:token_offset + hop]
                        speech = self.token2wav(tokens, flow_embedding, token_offset, this_uuid, bad)
                        token_offset += hop
                        if ref.HOP_LEN_MUTATES:
                            self.token_hop_len = min(self.token_max_hop_len, self.token_hop_len * self.stream_scale_factor)
                        yield {'tts_speech': speech}
                    if self.llm_end_dict[this_uuid] is True and len(self.tts_speech_token_dict[this_uuid]) - token_offset < hop + self.pre_lookahead_len:
                        break
                p.join()
                speech = self.token2wav(self.tts_speech_token_dict[this_uuid], flow_embedding, token_offset, this_uuid, bad, finalize=True)
                yield {'tts_speech': speech}
            else:
                p.join()
                speech = self.token2wav(self.tts_speech_token_dict[this_uuid], flow_embedding, 0, this_uuid, bad, finalize=True, speed=speed)
                yield {'tts_speech': speech}
            with self.lock:
                self.tts_speech_token_dict.pop(this_uuid)
                self.llm_end_dict.pop(this_uuid)
                self.hift_cache_dict.pop(this_uuid)
            journal.record('tts_end', uuid=this_uuid)
            torch.cuda.empty_cache()
        finally:
            # The stand-in's own accounting of activation memory, not upstream behaviour.
            torch.cuda.free(50_000)
