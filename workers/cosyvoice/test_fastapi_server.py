"""Unit tests of the patched FastAPI server's standard-library parts: the form parser, the prompt
check, PCM conversion, and the HTTP behaviour around the model (status only once audio exists,
a broken stream after it, the model's generator closed when the client leaves), against a model
object with the official method names. Run by test/cosyvoice/python-units.test.ts; the server
with the stand-in package is tested end to end in test/cosyvoice/fastapi-server.test.ts."""
import http.client
import json
import math
import os
import socket
import struct
import tempfile
import threading
import unittest
from array import array

import fastapi_server as fs

LOG = []


def setUpModule():
    fs.log = LOG.append  # the server's stderr lines, kept out of the test output


def wav(rate=16000, channels=1, seconds=1.0, bits=16, tag=1, extensible=False):
    frames = int(rate * seconds)
    block = channels * bits // 8
    data = b'\x01\x00' * (frames * block // 2)
    if extensible:
        guid = struct.pack('<H', tag) + b'\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71'
        fmt = struct.pack('<HHIIHHHHI', 0xFFFE, channels, rate, rate * block, block, bits, 22, bits, 0) + guid
    else:
        fmt = struct.pack('<HHIIHH', tag, channels, rate, rate * block, block, bits)
    body = b'WAVE' + b'fmt ' + struct.pack('<I', len(fmt)) + fmt + b'LIST' + struct.pack('<I', 3) + b'abc\x00' + b'data' + struct.pack('<I', len(data)) + data
    return b'RIFF' + struct.pack('<I', len(body)) + body


def multipart(fields, boundary='XyZ'):
    out = b''
    for name, value in fields.items():
        if isinstance(value, tuple):
            filename, data = value
            out += ('--%s\r\nContent-Disposition: form-data; name="%s"; filename="%s"\r\nContent-Type: audio/wav\r\n\r\n' % (boundary, name, filename)).encode('utf-8') + data + b'\r\n'
        else:
            out += ('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (boundary, name, value)).encode('utf-8')
    return out + ('--%s--\r\n' % boundary).encode(), 'multipart/form-data; boundary=%s' % boundary


class Forms(unittest.TestCase):
    def test_multipart_fields_and_a_binary_file(self):
        data = b'RIFF\r\n--XyY\r\n\x00\xff\r\n\r\n--Xy'  # line breaks and near-boundaries inside
        body, ctype = multipart({'tts_text': '你好, world', 'prompt_wav': ('me.wav', data)})
        fields, files = fs.parse_form(ctype, b'preamble\r\n' + body)
        self.assertEqual(fields, {'tts_text': '你好, world'})
        self.assertEqual(files['prompt_wav'], fs.Upload('me.wav', data))

    def test_quoted_boundary_and_urlencoded(self):
        body, _ = multipart({'a': '1'}, boundary='a b')
        self.assertEqual(fs.parse_form('multipart/form-data; boundary="a b"', body), ({'a': '1'}, {}))
        self.assertEqual(fs.parse_form('application/x-www-form-urlencoded', b'tts_text=%E4%BD%A0+x&spk_id='), ({'tts_text': '你 x', 'spk_id': ''}, {}))
        self.assertEqual(fs.parse_form('', b''), ({}, {}))

    def test_malformed_bodies_are_4xx(self):
        body, ctype = multipart({'a': '1'})
        for content_type, data, status in [
            (ctype, body[:-12], 400),  # cut inside the last part
            ('multipart/form-data', body, 400),  # no boundary
            (ctype, b'--XyZ\r\nContent-Disposition: form-data\r\n\r\nx\r\n--XyZ--\r\n', 400),  # no name
            (ctype, b'--XyZ\r\nContent-Disposition: form-data; name="a"\r\nx\r\n--XyZ--\r\n', 400),  # no blank line
            ('application/json', b'{}', 415),
        ]:
            with self.assertRaises(fs.HttpError) as caught:
                fs.parse_form(content_type, data)
            self.assertEqual(caught.exception.status, status, data)


class PromptCheck(unittest.TestCase):
    def test_accepts_what_soundfile_reads(self):
        self.assertEqual(fs.check_wav(wav()), fs.WavInfo(16000, 1, 1.0))
        self.assertEqual(fs.check_wav(wav(rate=48000, channels=2, seconds=2.0)), fs.WavInfo(48000, 2, 2.0))
        self.assertEqual(fs.check_wav(wav(bits=32, tag=3, extensible=True)).seconds, 1.0)

    def test_refuses_what_the_frontend_would_fail_on(self):
        for data, words in [
            (b'not a wav at all', 'not a WAV'),
            (wav(seconds=30.5), 'at most 30 s'),
            (wav(rate=8000), '16000 Hz or more'),
            (wav(seconds=0), 'no audio'),
            (wav(tag=2), 'PCM or float'),
            (wav()[:36], 'no fmt or data'),
        ]:
            with self.assertRaises(fs.HttpError) as caught:
                fs.check_wav(data)
            self.assertEqual(caught.exception.status, 400)
            self.assertIn(words, str(caught.exception))


class Text(unittest.TestCase):
    def test_instruction_gets_the_v3_prompt_unless_it_has_one(self):
        self.assertEqual(fs.instruction_text('Speak slowly.'), 'You are a helpful assistant. Speak slowly.<|endofprompt|>')
        self.assertEqual(fs.instruction_text('Mine.<|endofprompt|>'), 'Mine.<|endofprompt|>')

    def test_pcm_is_clipped_and_nan_is_a_failure(self):
        out = array('h')
        out.frombytes(fs.to_s16le(array('f', [0.0, 0.5, 2.0, -2.0])))
        self.assertEqual(list(out), [0, 16384, 32767, -32767])
        with self.assertRaises(RuntimeError):
            fs.to_s16le(array('f', [0.1, math.nan]))


class Frontend:
    def __init__(self):
        self.normalized = []

    def text_normalize(self, text, split=True, text_frontend=True):
        self.normalized.append(text)
        return [text.replace('2', 'two')] if split else text


class Model:
    """The official CosyVoice3 methods the server calls; `plan` says what each call yields."""

    sample_rate = 24000

    def __init__(self):
        self.frontend = Frontend()
        self.calls = []
        self.plan = ['ok']
        self.closed = threading.Event()

    def list_available_spks(self):
        return ['spk']

    def _run(self, name, **call):
        self.calls.append(dict(call, method=name, prompt_exists=os.path.exists(call['prompt']) if call.get('prompt') else None))
        try:
            for step in self.plan:
                if step == 'fail':
                    raise RuntimeError('CUDA out of memory (test)')
                if step == 'forever':
                    while True:
                        yield {'tts_speech': array('f', [0.1] * 2400)}
                yield {'tts_speech': array('f', [0.25] * 480)}
        except GeneratorExit:
            self.closed.set()
            raise

    def inference_sft(self, tts_text, spk_id, stream=False, speed=1.0, text_frontend=True):
        return self._run('sft', text=tts_text, spk=spk_id, text_frontend=text_frontend, stream=stream)

    def inference_zero_shot(self, tts_text, prompt_text, prompt_wav, zero_shot_spk_id='', stream=False, speed=1.0, text_frontend=True):
        return self._run('zero_shot', text=tts_text, prompt_text=prompt_text, prompt=prompt_wav, text_frontend=text_frontend, stream=stream)

    def inference_cross_lingual(self, tts_text, prompt_wav, zero_shot_spk_id='', stream=False, speed=1.0, text_frontend=True):
        return self._run('cross_lingual', text=tts_text, prompt=prompt_wav, text_frontend=text_frontend, stream=stream)

    def inference_instruct2(self, tts_text, instruct_text, prompt_wav, zero_shot_spk_id='', stream=False, speed=1.0, text_frontend=True):
        return self._run('instruct2', text=tts_text, instruct_text=instruct_text, prompt=prompt_wav, text_frontend=text_frontend, stream=stream)


class Http(unittest.TestCase):
    def setUp(self):
        self.workdir = tempfile.mkdtemp()
        self.server = fs.Server(('127.0.0.1', 0), 1024 * 1024, self.workdir)
        self.model = Model()
        self.server.model, self.server.sample_rate = self.model, 24000
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={'poll_interval': 0.05}, daemon=True)
        self.thread.start()
        self.port = self.server.server_address[1]

    def tearDown(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
        os.rmdir(self.workdir)  # empty: every prompt file was removed

    def request(self, path, fields=None, method='POST', body=None, headers=None):
        conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=30)
        if fields is not None:
            body, ctype = multipart(fields)
            headers = {'Content-Type': ctype}
        conn.request(method, path, body=body, headers=headers or {})
        res = conn.getresponse()
        try:
            data = res.read()
            complete = True
        except http.client.IncompleteRead as partial:
            data, complete = partial.partial, False
        conn.close()
        return res.status, res.getheader('Content-Type'), data, complete

    def test_preset_text_is_normalized_then_prefixed(self):
        status, ctype, data, complete = self.request('/inference_sft', {'tts_text': 'Take 2.', 'spk_id': 'spk'})
        self.assertEqual((status, ctype, complete, len(data)), (200, 'application/octet-stream', True, 960))
        self.assertEqual(self.model.frontend.normalized, ['Take 2.'])
        call = self.model.calls[0]
        self.assertEqual((call['text'], call['text_frontend'], call['stream']), ('You are a helpful assistant.<|endofprompt|>Take two.', False, False))

    def test_prompt_routes_get_a_path_that_is_removed_afterwards(self):
        prompt = ('p.wav', wav(seconds=3.0))
        self.assertEqual(self.request('/inference_zero_shot', {'tts_text': 'Hi [breath] there.', 'prompt_text': 'Hello.', 'prompt_wav': prompt})[0], 200)
        self.assertEqual(self.request('/inference_cross_lingual', {'tts_text': 'Bonjour.', 'prompt_wav': prompt})[0], 200)
        self.assertEqual(self.request('/inference_instruct2', {'tts_text': 'Hi.', 'instruct_text': 'Slowly.', 'prompt_wav': prompt})[0], 200)
        zero, cross, instruct = self.model.calls
        self.assertEqual((zero['prompt_text'], zero['text_frontend']), ('You are a helpful assistant.<|endofprompt|>Hello.', False))
        self.assertEqual((cross['text'], cross['text_frontend']), ('You are a helpful assistant.<|endofprompt|>Bonjour.', False))
        self.assertEqual((instruct['instruct_text'], instruct['text_frontend']), ('You are a helpful assistant. Slowly.<|endofprompt|>', True))
        for call in self.model.calls:
            self.assertTrue(call['prompt_exists'], call)
            self.assertFalse(os.path.exists(call['prompt']))

    def test_refusals_are_json_before_any_audio(self):
        cases = [
            ('/inference_sft', {'tts_text': 'Hi.'}, 422, 'spk_id'),
            ('/inference_sft', {'tts_text': 'Hi.', 'spk_id': 'nobody'}, 400, "unknown spk_id 'nobody'"),
            ('/inference_zero_shot', {'tts_text': 'Hi.', 'prompt_text': 'x', 'prompt_wav': ('p.wav', wav(seconds=31))}, 400, 'at most 30 s'),
            ('/inference_nothing', {'tts_text': 'Hi.'}, 404, 'Not Found'),
        ]
        for path, fields, status, words in cases:
            got, ctype, data, _ = self.request(path, fields)
            self.assertEqual((got, ctype), (status, 'application/json'), path)
            self.assertIn(words, json.loads(data)['detail'])
        self.assertEqual(self.model.calls, [])
        self.assertEqual([line for line in LOG if 'Bad request' in line], [], "the 404's unread body was not taken for a request")
        # Refused on its Content-Length, before the body is read.
        sock = socket.create_connection(('127.0.0.1', self.port), timeout=30)
        sock.sendall(b'POST /inference_sft HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n' % (1024 * 1024 + 1))
        self.assertTrue(sock.recv(64).startswith(b'HTTP/1.1 413'))
        sock.close()

    def test_a_model_failure_before_audio_is_a_500_and_after_it_a_broken_stream(self):
        self.model.plan = ['fail']
        status, ctype, data, _ = self.request('/inference_sft', {'tts_text': 'Hi.', 'spk_id': 'spk'})
        self.assertEqual((status, ctype), (500, 'application/json'))
        self.assertEqual(json.loads(data), {'detail': 'synthesis failed: RuntimeError: CUDA out of memory (test)'})
        self.model.plan = ['ok', 'fail']
        status, _, data, complete = self.request('/inference_sft', {'tts_text': 'Hi.', 'spk_id': 'spk'})
        self.assertEqual((status, complete, len(data)), (200, False, 960))

    def test_a_client_that_leaves_closes_the_models_generator(self):
        self.model.plan = ['forever']
        body, ctype = multipart({'tts_text': 'Hi.', 'spk_id': 'spk'})
        sock = socket.create_connection(('127.0.0.1', self.port), timeout=30)
        sock.sendall(b'POST /inference_sft HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n' % (ctype.encode(), len(body)) + body)
        self.assertTrue(sock.recv(64).startswith(b'HTTP/1.1 200'))
        sock.close()
        self.assertTrue(self.model.closed.wait(30), 'the generator was closed')

    def test_health_and_openapi_identify_the_patched_server(self):
        status, _, data, _ = self.request('/openapi.json', method='GET')
        doc = json.loads(data)
        self.assertEqual(status, 200)
        self.assertEqual(doc['info']['title'], fs.SERVER_TITLE)
        self.assertEqual(doc['x-cosyfleet']['version'], fs.SERVER_VERSION)
        self.assertIn('/inference_instruct2', doc['paths'])
        self.assertEqual(self.request('/health', method='GET')[:1], (200,))
        self.server.model = None
        status, _, data, _ = self.request('/health', method='GET')
        self.assertEqual((status, json.loads(data)['status']), (503, 'loading'))
        self.assertEqual(self.request('/inference_sft', {'tts_text': 'Hi.', 'spk_id': 'spk'})[0], 503)


class Main(unittest.TestCase):
    def test_refuses_a_model_dir_that_does_not_exist(self):
        loaded = []
        self.assertEqual(fs.main(['--model_dir', '/nonexistent/model', '--port', '0'], loader=loaded.append), 2)
        self.assertEqual(loaded, [])


if __name__ == '__main__':
    unittest.main()
