"""Stand-in for the official CosyVoiceFrontEnd (cosyvoice/cli/frontend.py), keeping the behaviour
the worker must cope with:

- spk2info: frontend_zero_shot with a cached speaker id returns the cached dict itself at 0c50894
  and a shallow copy from 1822c5c on (`{**self.spk2info[id]}`); the cross-lingual and instruct2
  frontends delete keys from what it returns, so at 0c50894 they delete them from the cache;
- the text normalizer: at 0c50894 wetext is imported at module import (after a failed `import
  ttsfrd`) and built in __init__ with no try, so a resource download that fails offline fails the
  load; later refs build it inside try/except and fall back to no normalizer, silently;
- text_normalize skips the normalizer for text holding `<|` and `|>`, and splits long text;
- _extract_text_token maps `<|endofprompt|>` to its token 151646, other characters to their code;
- _extract_speech_token refuses prompts over 30 s (an assert, as upstream).
"""
import logging
import os
import wave

from cosyvoice import ref
from cosyvoice.cli import journal
from cosyvoice.llm.llm import END_OF_PROMPT_TOKEN

if not ref.NORMALIZER_IN_TRY:
    try:
        import ttsfrd  # noqa: F401
    except ImportError:
        print('failed to import ttsfrd, use wetext instead')
        from wetext import Normalizer as ZhNormalizer
        from wetext import Normalizer as EnNormalizer


class CosyVoiceFrontEnd:
    def __init__(self, spk2info):
        self.spk2info = spk2info
        if not ref.NORMALIZER_IN_TRY:
            self.zh_tn_model = ZhNormalizer(remove_erhua=False)
            self.en_tn_model = EnNormalizer()
            self.text_frontend = 'wetext'
        else:
            try:
                from wetext import Normalizer as ZhNormalizer2
                self.zh_tn_model = ZhNormalizer2(remove_erhua=False)
                self.en_tn_model = ZhNormalizer2()
                self.text_frontend = 'wetext'
                logging.info('use wetext frontend')
            except Exception:
                self.text_frontend = ''
                logging.info('no frontend is avaliable')
        journal.record('frontend', text_frontend=self.text_frontend)

    def _extract_text_token(self, text):
        tokens = []
        for i, piece in enumerate(text.split('<|endofprompt|>')):
            if i:
                tokens.append(END_OF_PROMPT_TOKEN)
            tokens.extend(ord(c) for c in piece)
        return tokens, len(tokens)

    def text_normalize(self, text, split=True, text_frontend=True):
        if '<|' in text and '|>' in text:
            text_frontend = False
        if text_frontend is False or text == '':
            return [text] if split is True else text
        text = text.strip()
        if self.text_frontend == 'wetext':
            text = self.en_tn_model.normalize(text)
        # upstream: split_paragraph into pieces of 60-80 tokens at sentence ends
        texts = [text]
        if len(text) > 80:
            cut = max(text.rfind('. ', 0, 80), text.rfind('。', 0, 80))
            if cut > 0:
                texts = [text[:cut + 1].strip(), text[cut + 1:].strip()]
        texts = [t for t in texts if t]
        return texts if split is True else text

    def _prompt_features(self, prompt_text, prompt_wav):
        with wave.open(prompt_wav, 'rb') as w:
            rate, channels, width, frames = w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()
        if rate != 16000 or channels != 1 or width != 2:
            raise ValueError('prompt must be 16 kHz mono 16-bit, got %d Hz x%d %d-byte' % (rate, channels, width))
        assert frames / rate <= 30, 'do not support extract speech token for audio longer than 30s'
        journal.record('prompt_features', prompt_seconds=frames / rate, prompt_text=prompt_text, wav_exists=os.path.exists(prompt_wav))
        tokens, n = self._extract_text_token(prompt_text)
        speech_tokens = frames // 640  # 25 Hz at 16 kHz
        embedding = [((frames % 997) + 1) / 997.0]
        return {
            'prompt_text': tokens, 'prompt_text_len': n,
            'llm_prompt_speech_token': [1] * speech_tokens, 'llm_prompt_speech_token_len': speech_tokens,
            'flow_prompt_speech_token': [1] * speech_tokens, 'flow_prompt_speech_token_len': speech_tokens,
            'prompt_speech_feat': [], 'prompt_speech_feat_len': 0,
            'llm_embedding': embedding, 'flow_embedding': embedding,
        }

    def frontend_sft(self, tts_text, spk_id):
        tokens, n = self._extract_text_token(tts_text)
        embedding = self.spk2info[spk_id]['embedding']
        return {'text': tokens, 'text_len': n, 'llm_embedding': embedding, 'flow_embedding': embedding}

    def frontend_zero_shot(self, tts_text, prompt_text, prompt_wav, resample_rate, zero_shot_spk_id):
        tokens, n = self._extract_text_token(tts_text)
        if zero_shot_spk_id == '':
            model_input = self._prompt_features(prompt_text, prompt_wav)
        elif ref.SPK2INFO_COPY:
            model_input = {**self.spk2info[zero_shot_spk_id]}
        else:
            model_input = self.spk2info[zero_shot_spk_id]  # 0c50894: the cached dict itself
        model_input['text'] = tokens
        model_input['text_len'] = n
        return model_input

    def frontend_cross_lingual(self, tts_text, prompt_wav, resample_rate, zero_shot_spk_id):
        model_input = self.frontend_zero_shot(tts_text, '', prompt_wav, resample_rate, zero_shot_spk_id)
        del model_input['prompt_text']
        del model_input['prompt_text_len']
        del model_input['llm_prompt_speech_token']
        del model_input['llm_prompt_speech_token_len']
        return model_input

    def frontend_instruct2(self, tts_text, instruct_text, prompt_wav, resample_rate, zero_shot_spk_id):
        model_input = self.frontend_zero_shot(tts_text, instruct_text, prompt_wav, resample_rate, zero_shot_spk_id)
        del model_input['llm_prompt_speech_token']
        del model_input['llm_prompt_speech_token_len']
        return model_input
