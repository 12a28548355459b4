"""What Fun-CosyVoice3 expects of the text it is given, shared by the worker and the patched
FastAPI server. Standard library only.

CosyVoice3's LLM was trained with a system prompt ending in `<|endofprompt|>` in front of the text
it reads (prompt transcript + text in zero-shot, the text itself in cross-lingual and preset
modes; the instruction in instruct mode). cosyvoice/llm/llm.py at HEAD asserts that token 151646
is present; the ref the image pins runs an untrained input shape without it.

The package's text normalizer (wetext or ttsfrd, then splitting into 60-80-token pieces) is
skipped for any text holding `<|` and `|>` (cosyvoice/cli/frontend.py, text_normalize). So the
prefix must be added *after* normalizing, piece by piece, or numbers and dates would go to the
model unspoken.
"""
from __future__ import annotations

import re
from typing import List

END_OF_PROMPT = '<|endofprompt|>'
PROMPT_PREFIX = 'You are a helpful assistant.' + END_OF_PROMPT
# Pronunciation tokens ([M][AY0], [j][ǐ]), tags ([breath], <strong>) and control tokens that the
# package's text normalizer would mangle: text holding them skips the normalizer.
_TOKENS = re.compile(r'\[[^\[\]\s]{1,24}\]|</?strong>|<\|[^|<>]{1,32}\|>')


def with_prompt_prefix(text: str) -> str:
    return text if END_OF_PROMPT in text else PROMPT_PREFIX + text


def has_tokens(text: str) -> bool:
    return _TOKENS.search(text) is not None


def preset_texts(frontend, text: str) -> List[str]:
    """The texts to hand `inference_sft(..., text_frontend=False)` for one segment: normalized by
    the package's own frontend where it would run, each piece with the v3 prefix."""
    if has_tokens(text) or END_OF_PROMPT in text:
        return [with_prompt_prefix(text)]
    pieces = frontend.text_normalize(text, split=True, text_frontend=True)
    return [PROMPT_PREFIX + piece for piece in pieces if piece]
