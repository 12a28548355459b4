"""upstream_guard.py against the stand-in of upstream's model (test/cosyvoice/standin: the same
LLM thread, polling loop, per-session dicts and clean-up as cosyvoice/cli/model.py). Without the
guard, the first two tests hang or return truncated audio, and the third leaves 1000 sessions."""
import os
import sys
import threading
import time
import unittest

STANDIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'cosyvoice', 'standin')
if STANDIN not in sys.path:
    sys.path.insert(0, STANDIN)

from upstream_guard import ModelGuard  # noqa: E402

# A hang shows as a thread still running after this; nothing here takes more than a second.
HANG_LIMIT_S = 30


def load(ref='1822c5c'):
    os.environ['COSYVOICE_STANDIN_REF'] = ref
    for name in [m for m in sys.modules if m == 'cosyvoice' or m.startswith('cosyvoice.')]:
        del sys.modules[name]
    from cosyvoice.cli.model import CosyVoice3Model
    from cosyvoice.llm.llm import CosyVoice3LM

    return CosyVoice3Model(CosyVoice3LM())


def tokens(text):
    """As the stand-in frontend tokenizes: `<|endofprompt|>` is token 151646."""
    out = []
    for i, piece in enumerate(text.split('<|endofprompt|>')):
        out.extend(([151646] if i else []) + [ord(c) for c in piece])
    return out


def consume(gen, out):
    try:
        out['chunks'] = [len(chunk['tts_speech']) for chunk in gen]
    except BaseException as error:  # noqa: BLE001
        out['error'] = error


def run_bounded(gen):
    out = {}
    thread = threading.Thread(target=consume, args=(gen, out), daemon=True)
    thread.start()
    thread.join(HANG_LIMIT_S)
    out['hung'] = thread.is_alive()
    return out


class ThreadFailures(unittest.TestCase):
    def test_an_exception_in_the_llm_thread_ends_a_streamed_call_with_that_exception(self):
        model = load()
        ModelGuard(model, lambda m: None)
        out = run_bounded(model.tts(text=tokens('this one asserts: llmassert'), flow_embedding=[0.5], stream=True))
        self.assertFalse(out['hung'], 'tts() still polls for llm_end_dict')
        self.assertIsInstance(out.get('error'), AssertionError)
        self.assertEqual(model.sessions(), 0)

    def test_out_of_memory_in_the_llm_thread_is_raised_in_place_of_truncated_audio(self):
        model = load()
        ModelGuard(model, lambda m: None)
        out = run_bounded(model.tts(text=tokens('runs out of memory: oomonce unique-%f' % time.time()), flow_embedding=[0.5], stream=False))
        self.assertFalse(out['hung'])
        self.assertEqual(type(out.get('error')).__name__, 'OutOfMemoryError', out)
        self.assertNotIn('chunks', out, 'no audio made from the tokens before the failure')
        self.assertEqual(model.sessions(), 0)

    def test_head_assert_on_a_missing_endofprompt_fails_instead_of_hanging(self):
        model = load('ace7c47')
        ModelGuard(model, lambda m: None)
        out = run_bounded(model.tts(text=tokens('no prefix here'), flow_embedding=[0.5], stream=True))
        self.assertFalse(out['hung'])
        self.assertIn('<|endofprompt|> not detected', str(out.get('error')))


class Cancellation(unittest.TestCase):
    def test_a_thousand_closed_calls_leave_no_session_and_stop_their_llm_threads(self):
        model = load()
        ModelGuard(model, lambda m: None)
        # Faster polls and tokens than the stand-in's defaults: a thousand calls in a few seconds.
        sys.modules['cosyvoice.cli.model'].POLL_SECONDS = 0.001
        sys.modules['cosyvoice.llm.llm'].TOKEN_SECONDS = 0.0001
        before = threading.active_count()
        for i in range(1000):
            gen = model.tts(text=tokens('a long sentence that keeps the LLM busy for a while, number %d' % i), flow_embedding=[0.5], stream=True)
            next(gen)  # running: its LLM thread is still generating when the caller stops reading
            gen.close()
        deadline = time.monotonic() + HANG_LIMIT_S
        while threading.active_count() > before and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertEqual(threading.active_count(), before, 'LLM threads still running')
        self.assertEqual(model.sessions(), 0)

    def test_a_finished_call_is_untouched(self):
        model = load()
        guard = ModelGuard(model, lambda m: None)
        out = run_bounded(model.tts(text=tokens('a normal sentence'), flow_embedding=[0.5], stream=True))
        self.assertGreaterEqual(len(out['chunks']), 1)
        self.assertEqual(sum(out['chunks']), int(1.5 * len('a normal sentence')) * 960)
        self.assertEqual(guard.sessions(), 0)


class StreamingRegression(unittest.TestCase):
    def test_at_head_every_call_starts_with_the_same_first_chunk(self):
        model = load('ace7c47')
        ModelGuard(model, lambda m: None)
        text = tokens('You are a helpful assistant.<|endofprompt|>') + tokens('a sentence long enough for several streamed chunks of audio, and then some more words to speak')
        firsts = [run_bounded(model.tts(text=text, flow_embedding=[0.5], stream=True))['chunks'][0] for _ in range(3)]
        self.assertEqual(firsts, [firsts[0]] * 3)
        self.assertEqual(firsts[0], 25 * 960, 'token_hop_len (25) tokens of audio')


class Progress(unittest.TestCase):
    def test_progress_counts_the_calling_threads_speech_tokens(self):
        model = load()
        guard = ModelGuard(model, lambda m: None)
        seen = []
        gen = model.tts(text=tokens('progress is measured in speech tokens'), flow_embedding=[0.5], stream=True)
        for _ in gen:
            seen.append(guard.progress_of(threading.get_ident()))
        self.assertTrue(all(n is not None and n > 0 for n in seen), seen)
        self.assertIsNone(guard.progress_of(threading.get_ident()), 'no call runs on this thread any more')


if __name__ == '__main__':
    unittest.main()
