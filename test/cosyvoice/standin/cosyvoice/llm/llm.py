"""Stand-in for cosyvoice/llm/llm.py's CosyVoice3LM.inference: a generator of speech tokens, run by
the model in its own thread (cosyvoice/cli/model.py llm_job). Mirrors what the worker depends on:

- HEAD asserts that token 151646 (`<|endofprompt|>`) is in prompt_text + text;
- min_len/max_len come from the text length (upstream: 2x and 20x the text tokens; here a fixed
  1.5 speech tokens per text token, so the audio length follows the text);
- failures raised *inside* the generator, i.e. inside the LLM thread: `oomonce` (CUDA out of
  memory after a few tokens, once per text), `llmassert` (an AssertionError, every time),
  `stallforever` / `stallonce` (a GPU that stops making progress: the thread blocks after two
  tokens; `stallonce` only the first time for that text).
"""
import os
import threading
import time

import torch
from cosyvoice import ref
from cosyvoice.cli import journal

END_OF_PROMPT_TOKEN = 151646
# Time per speech token (the real LLM: ~10-40 ms on a GPU); a test may slow it down.
TOKEN_SECONDS = float(os.environ.get('COSYVOICE_STANDIN_TOKEN_SECONDS') or '0.0005')
_stall = threading.Event()


def decode(tokens):
    return ''.join('<|endofprompt|>' if t == END_OF_PROMPT_TOKEN else chr(t) for t in tokens)


class CosyVoice3LM:
    def inference(self, text, text_len, prompt_text, prompt_text_len, prompt_speech_token, prompt_speech_token_len, embedding, uuid=''):
        full = list(prompt_text) + list(text)
        if ref.ENDOFPROMPT_ASSERT:
            # cosyvoice/llm/llm.py (HEAD): NOTE temporary hardcode, 151646 is <|endofprompt|> token
            assert END_OF_PROMPT_TOKEN in full, '<|endofprompt|> not detected in CosyVoice3 text or prompt_text, check your input!'
        spoken = decode(text)
        if END_OF_PROMPT_TOKEN in text:
            spoken = spoken.split('<|endofprompt|>', 1)[1]
        n = max(8, int(1.5 * len(spoken)))
        made = 0
        try:
            yield from self._tokens(spoken, n, uuid)
            made = n
        finally:
            # Also when the thread stops early: llm_job's append failed, or the generator was closed.
            journal.record('llm_exit', uuid=uuid, planned=n, finished=made == n)

    def _tokens(self, spoken, n, uuid):
        for i in range(n):
            if i == 5 and 'oomonce' in spoken and journal.once('oom', spoken):
                raise torch.cuda.OutOfMemoryError('CUDA out of memory. Tried to allocate 2.00 GiB (stand-in, in the LLM thread)')
            if i == 3 and 'llmassert' in spoken:
                raise AssertionError('stand-in assert inside the LLM thread')
            if i == 2 and ('stallforever' in spoken or ('stallonce' in spoken and journal.once('stall', spoken))):
                journal.record('llm_stalled', uuid=uuid)
                _stall.wait(600)
            time.sleep(TOKEN_SECONDS)
            yield 100 + (i % 4000)
