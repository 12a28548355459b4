"""Which upstream ref the stand-in behaves like: COSYVOICE_STANDIN_REF, default the ref the image
pins (deploy/cosyvoice/Dockerfile). Only the behaviours the worker depends on differ:

  0c50894 (2025-12-15, the ref the image pinned before): frontend_zero_shot hands out the cached
          spk2info dict itself; the text normalizer (wetext) is imported and built outside any
          try, so a failed resource download fails the model load.
  1822c5c (2026-01-19, pinned now): a shallow copy of the cached dict; the normalizer is built
          inside try/except and silently falls back to none.
  ace7c47 (2026-03, HEAD): as 1822c5c, plus the `<|endofprompt|>` assert in cosyvoice/llm/llm.py
          and the streaming regression (`self.token_hop_len` grows per call and never resets).
"""
import os

KNOWN = ('0c50894', '1822c5c', 'ace7c47')
REF = os.environ.get('COSYVOICE_STANDIN_REF') or '1822c5c'
if REF not in KNOWN:
    raise ValueError('COSYVOICE_STANDIN_REF must be one of %s' % ', '.join(KNOWN))

SPK2INFO_COPY = REF != '0c50894'
NORMALIZER_IN_TRY = REF != '0c50894'
ENDOFPROMPT_ASSERT = REF == 'ace7c47'
HOP_LEN_MUTATES = REF == 'ace7c47'
