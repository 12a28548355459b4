"""Stand-in for the official CosyVoiceFrontEnd, keeping the behaviour the worker must cope with:
frontend_zero_shot hands out a cached speaker's dict itself (no copy), and the cross-lingual and
instruct2 frontends delete keys from what it returns."""
import os
import wave

from cosyvoice.cli import journal


class CosyVoiceFrontEnd:
    def __init__(self, spk2info):
        self.spk2info = spk2info

    def _extract_text_token(self, text):
        tokens = [ord(c) for c in text]
        return tokens, len(tokens)

    def text_normalize(self, text, split=True, text_frontend=True):
        if '<|' in text and '|>' in text:
            text_frontend = False
        if text_frontend is False or text == '':
            return [text] if split else text
        # The real normalizer rewrites text (numbers, brackets); the stand-in marks that it ran.
        text = text.strip()
        return [text] if split else text

    def _prompt_features(self, prompt_text, prompt_wav):
        with wave.open(prompt_wav, 'rb') as w:
            rate, channels, width, frames = w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()
        if rate != 16000 or channels != 1 or width != 2:
            raise ValueError('prompt must be 16 kHz mono 16-bit, got %d Hz x%d %d-byte' % (rate, channels, width))
        journal.record('prompt_features', prompt_seconds=frames / rate, prompt_text=prompt_text, wav_exists=os.path.exists(prompt_wav))
        tokens, n = self._extract_text_token(prompt_text)
        embedding = [((frames % 997) + 1) / 997.0]
        return {
            'prompt_text': tokens, 'prompt_text_len': n,
            'llm_prompt_speech_token': [1] * (frames // 640), 'llm_prompt_speech_token_len': frames // 640,
            'flow_prompt_speech_token': [1] * (frames // 640), 'flow_prompt_speech_token_len': frames // 640,
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
        else:
            model_input = self.spk2info[zero_shot_spk_id]  # as upstream: the cached dict itself
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
