"""Stand-in for the official cosyvoice.cli.cosyvoice (see ../../README.md): AutoModel and a
CosyVoice3 with the official methods, arguments and loops (a tqdm bar and INFO logs per call, as
upstream), over the stand-in model of cosyvoice/cli/model.py, making a tone instead of speech."""
import json
import logging
import os

import torch
from modelscope import snapshot_download  # noqa: F401 - imported at module level, as upstream
from tqdm import tqdm

from cosyvoice.cli import journal
from cosyvoice.cli.frontend import CosyVoiceFrontEnd
from cosyvoice.cli.model import CosyVoice3Model
from cosyvoice.llm.llm import CosyVoice3LM, decode
from cosyvoice.utils import file_utils  # noqa: F401 - configures logging at DEBUG, as upstream

SAMPLE_RATE = 24000


class CosyVoice3:
    def __init__(self, model_dir, load_trt=False, load_vllm=False, fp16=False, trt_concurrent=1):
        journal.record('init', model_dir=model_dir, load_trt=load_trt, load_vllm=load_vllm, fp16=fp16, trt_concurrent=trt_concurrent,
                       cuda_visible_devices=os.environ.get('CUDA_VISIBLE_DEVICES'))
        self.model_dir = model_dir
        self.sample_rate = SAMPLE_RATE
        spk2info = {}
        path = os.path.join(model_dir, 'spk2info.json')  # the stand-in's spk2info.pt
        if os.path.exists(path):
            with open(path) as f:
                spk2info = {k: (v if isinstance(v, dict) else {'embedding': v}) for k, v in json.load(f).items()}
        self.frontend = CosyVoiceFrontEnd(spk2info)
        self.model = CosyVoice3Model(CosyVoice3LM(), fp16)
        if load_trt:
            # upstream load_trt: builds the plan into the model directory when it is missing
            plan = os.path.join(model_dir, 'flow.decoder.estimator.%s.mygpu.plan' % ('fp16' if fp16 else 'fp32'))
            if not os.path.exists(plan) or os.path.getsize(plan) == 0:
                with open(plan, 'wb') as f:
                    f.write(b'stand-in plan')
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
        for i in tqdm(self.frontend.text_normalize(tts_text, split=True, text_frontend=text_frontend)):
            model_input = self.frontend.frontend_sft(i, spk_id)
            yield from self._run('inference_sft', model_input, stream, speed, text_frontend, spk=spk_id)

    def inference_zero_shot(self, tts_text, prompt_text, prompt_wav, zero_shot_spk_id='', stream=False, speed=1.0, text_frontend=True):
        if '<|endofprompt|>' not in prompt_text + tts_text:
            logging.warning('<|endofprompt|> not found in CosyVoice3 inference, check your input text')
        prompt_text = self.frontend.text_normalize(prompt_text, split=False, text_frontend=text_frontend)
        for i in tqdm(self.frontend.text_normalize(tts_text, split=True, text_frontend=text_frontend)):
            model_input = self.frontend.frontend_zero_shot(i, prompt_text, prompt_wav, self.sample_rate, zero_shot_spk_id)
            yield from self._run('inference_zero_shot', model_input, stream, speed, text_frontend, spk=zero_shot_spk_id, prompt_wav=prompt_wav)

    def inference_cross_lingual(self, tts_text, prompt_wav, zero_shot_spk_id='', stream=False, speed=1.0, text_frontend=True):
        for i in tqdm(self.frontend.text_normalize(tts_text, split=True, text_frontend=text_frontend)):
            model_input = self.frontend.frontend_cross_lingual(i, prompt_wav, self.sample_rate, zero_shot_spk_id)
            yield from self._run('inference_cross_lingual', model_input, stream, speed, text_frontend, spk=zero_shot_spk_id, prompt_wav=prompt_wav)

    def inference_instruct2(self, tts_text, instruct_text, prompt_wav, zero_shot_spk_id='', stream=False, speed=1.0, text_frontend=True):
        for i in tqdm(self.frontend.text_normalize(tts_text, split=True, text_frontend=text_frontend)):
            model_input = self.frontend.frontend_instruct2(i, instruct_text, prompt_wav, self.sample_rate, zero_shot_spk_id)
            yield from self._run('inference_instruct2', model_input, stream, speed, text_frontend, spk=zero_shot_spk_id, prompt_wav=prompt_wav)

    def _run(self, method, model_input, stream, speed, text_frontend, **extra):
        prompt = model_input.get('prompt_text')
        journal.record(method, text=decode(model_input['text']), prompt_text=decode(prompt) if isinstance(prompt, list) else None,
                       llm_prompt_speech=('llm_prompt_speech_token' in model_input), stream=stream, speed=speed,
                       text_frontend=text_frontend, **extra)
        logging.info('synthesis text {}'.format(decode(model_input['text'])))
        for model_output in self.model.tts(**model_input, stream=stream, speed=speed):
            logging.info('yield speech len {}'.format(len(model_output['tts_speech']) / self.sample_rate))
            yield model_output


def AutoModel(**kwargs):
    model_dir = kwargs['model_dir']
    if not os.path.exists(model_dir):
        kwargs['model_dir'] = snapshot_download(model_dir)
        model_dir = kwargs['model_dir']
    if os.path.exists(os.path.join(model_dir, 'cosyvoice3.yaml')):
        return CosyVoice3(**kwargs)
    raise TypeError('No valid model type found!')
