"""Stand-in for the official cosyvoice.cli.cosyvoice (see ../../README.md): AutoModel and a
CosyVoice3 with the official methods and arguments, making a tone instead of speech."""
import json
import math
import os
import random
import time
from array import array

import torch
from cosyvoice.cli import journal
from cosyvoice.cli.frontend import CosyVoiceFrontEnd

SAMPLE_RATE = 24000
CHUNK = 6000  # 0.25 s: the streaming chunk


def _decode(tokens):
    return ''.join(chr(t) for t in tokens) if isinstance(tokens, list) else None


class CosyVoice3:
    def __init__(self, model_dir, load_trt=False, load_vllm=False, fp16=None, trt_concurrent=1):
        journal.record('init', model_dir=model_dir, load_trt=load_trt, load_vllm=load_vllm, fp16=fp16, trt_concurrent=trt_concurrent,
                       cuda_visible_devices=os.environ.get('CUDA_VISIBLE_DEVICES'))
        self.model_dir = model_dir
        self.sample_rate = SAMPLE_RATE
        spk2info = {}
        path = os.path.join(model_dir, 'spk2info.json')  # the stand-in's spk2info.pt
        if os.path.exists(path):
            with open(path) as f:
                spk2info = {k: {'embedding': v} for k, v in json.load(f).items()}
        self.frontend = CosyVoiceFrontEnd(spk2info)
        torch.cuda.allocate(1_000_000)  # the weights

    def list_available_spks(self):
        return list(self.frontend.spk2info.keys())

    def add_zero_shot_spk(self, prompt_text, prompt_wav, zero_shot_spk_id):
        assert zero_shot_spk_id != '', 'do not use empty zero_shot_spk_id'
        model_input = self.frontend.frontend_zero_shot('', prompt_text, prompt_wav, self.sample_rate, '')
        del model_input['text']
        del model_input['text_len']
        self.frontend.spk2info[zero_shot_spk_id] = model_input
        journal.record('add_zero_shot_spk', spk=zero_shot_spk_id, prompt_text=prompt_text)
        return True

    def inference_sft(self, tts_text, spk_id, stream=False, speed=1.0, text_frontend=True):
        for i in self.frontend.text_normalize(tts_text, split=True, text_frontend=text_frontend):
            model_input = self.frontend.frontend_sft(i, spk_id)
            yield from self._tts('inference_sft', model_input, stream, speed, text_frontend, spk=spk_id)

    def inference_zero_shot(self, tts_text, prompt_text, prompt_wav, zero_shot_spk_id='', stream=False, speed=1.0, text_frontend=True):
        prompt_text = self.frontend.text_normalize(prompt_text, split=False, text_frontend=text_frontend)
        for i in self.frontend.text_normalize(tts_text, split=True, text_frontend=text_frontend):
            model_input = self.frontend.frontend_zero_shot(i, prompt_text, prompt_wav, self.sample_rate, zero_shot_spk_id)
            yield from self._tts('inference_zero_shot', model_input, stream, speed, text_frontend, spk=zero_shot_spk_id, prompt_wav=prompt_wav)

    def inference_cross_lingual(self, tts_text, prompt_wav, zero_shot_spk_id='', stream=False, speed=1.0, text_frontend=True):
        for i in self.frontend.text_normalize(tts_text, split=True, text_frontend=text_frontend):
            model_input = self.frontend.frontend_cross_lingual(i, prompt_wav, self.sample_rate, zero_shot_spk_id)
            yield from self._tts('inference_cross_lingual', model_input, stream, speed, text_frontend, spk=zero_shot_spk_id, prompt_wav=prompt_wav)

    def inference_instruct2(self, tts_text, instruct_text, prompt_wav, zero_shot_spk_id='', stream=False, speed=1.0, text_frontend=True):
        for i in self.frontend.text_normalize(tts_text, split=True, text_frontend=text_frontend):
            model_input = self.frontend.frontend_instruct2(i, instruct_text, prompt_wav, self.sample_rate, zero_shot_spk_id)
            yield from self._tts('inference_instruct2', model_input, stream, speed, text_frontend, spk=zero_shot_spk_id, prompt_wav=prompt_wav)

    def _tts(self, method, model_input, stream, speed, text_frontend, **extra):
        text = _decode(model_input['text'])
        journal.record(method, text=text, prompt_text=_decode(model_input.get('prompt_text')),
                       llm_prompt_speech=('llm_prompt_speech_token' in model_input), stream=stream, speed=speed,
                       text_frontend=text_frontend, **extra)
        if 'oomonce' in text and journal.once('oom', text):
            raise torch.cuda.OutOfMemoryError('CUDA out of memory. Tried to allocate 2.00 GiB (stand-in)')
        bad = None
        if 'nanalways' in text or ('nanonce' in text and journal.once('nan', text)):
            bad = 'nan'
        elif 'silentonce' in text and journal.once('silent', text):
            bad = 'silent'
        total = max(int(SAMPLE_RATE * 0.2), int(SAMPLE_RATE * 0.05 * len(text) / speed))
        embedding = model_input['flow_embedding']
        freq = 120 + 300 * (embedding[0] % 1.0)
        torch.cuda.allocate(50_000)
        try:
            pieces = range(0, total, CHUNK) if stream else [0]
            for start in pieces:
                n = min(CHUNK, total - start) if stream else total
                time.sleep(0.002)
                if bad == 'nan':
                    samples = array('f', [math.nan] * n)
                elif bad == 'silent':
                    samples = array('f', [0.0] * n)
                else:
                    samples = array('f', (0.3 * math.sin(2 * math.pi * freq * (start + k) / SAMPLE_RATE) + 0.01 * (random.random() - 0.5) for k in range(n)))
                yield {'tts_speech': samples}
        finally:
            torch.cuda.free(50_000)


def AutoModel(**kwargs):
    model_dir = kwargs['model_dir']
    if os.path.exists(os.path.join(model_dir, 'cosyvoice3.yaml')):
        return CosyVoice3(**kwargs)
    raise TypeError('Only Fun-CosyVoice3-0.5B-2512 is supported (stand-in: no cosyvoice3.yaml in %s)' % model_dir)
