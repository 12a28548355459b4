"""preflight.py: a read-only model directory the flags would write into, and where the text
normalizer's grammars are found without a download."""
import os
import shutil
import sys
import tempfile
import unittest

from preflight import WETEXT_MARKER, model_dir_problems, normalizer_status

# A directory that refuses new files even to root (file modes do not stop root; a read-only
# mount does, and so does procfs).
READ_ONLY_DIR = '/proc'


class ModelDir(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix='cosyfleet-preflight-')

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_a_missing_directory_fails_and_is_never_downloaded(self):
        self.assertEqual(model_dir_problems(self.dir + '-missing', False, False, False)[0]['level'], 'fail')

    def test_read_only_with_trt_and_no_plan_fails_before_the_build(self):
        found = model_dir_problems(READ_ONLY_DIR, True, False, True)
        self.assertEqual([p['level'] for p in found], ['fail'])
        self.assertIn('read-only', found[0]['message'])
        self.assertIn('flow.decoder.estimator.fp16.mygpu.plan', found[0]['message'])

    def test_read_only_with_vllm_and_no_export_fails(self):
        found = model_dir_problems(READ_ONLY_DIR, False, True, False)
        self.assertEqual([p['level'] for p in found], ['fail'])
        self.assertIn('vllm/', found[0]['message'])

    def test_nothing_to_write_needs_no_write_access(self):
        self.assertEqual(model_dir_problems(READ_ONLY_DIR, False, False, False), [])
        with open(os.path.join(self.dir, 'flow.decoder.estimator.fp32.mygpu.plan'), 'wb') as f:
            f.write(b'plan')
        os.mkdir(os.path.join(self.dir, 'vllm'))
        self.assertEqual(model_dir_problems(self.dir, True, True, False), [])

    def test_writable_with_a_build_ahead_warns_and_leaves_no_trace(self):
        found = model_dir_problems(self.dir, True, False, False)
        self.assertEqual([p['level'] for p in found], ['warn'])
        self.assertEqual(os.listdir(self.dir), [], 'the write test cleaned up after itself')


class Normalizer(unittest.TestCase):
    def setUp(self):
        self.cache = tempfile.mkdtemp(prefix='cosyfleet-modelscope-')
        self.saved = {k: os.environ.get(k) for k in ('MODELSCOPE_CACHE', 'HOME')}
        os.environ['MODELSCOPE_CACHE'] = self.cache
        os.environ['HOME'] = self.cache  # no ~/.cache/modelscope of the machine's

    def tearDown(self):
        for k, v in self.saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        shutil.rmtree(self.cache)

    def test_missing_grammars_are_reported_with_the_fetch_command(self):
        sys.modules.pop('wetext', None)
        status = normalizer_status()
        if status['source'] in ('ttsfrd',) or 'not installed' in (status['detail'] or ''):
            # Without wetext (this machine) the package runs with no normalizer: nothing to fetch.
            self.assertTrue(status['ok'])
            return
        self.assertFalse(status['ok'])
        self.assertIn("snapshot_download('pengzhendong/wetext')", status['detail'])

    def test_grammars_are_found_in_any_modelscope_layout(self):
        for layout in ('', 'hub', os.path.join('hub', 'models')):
            repo = os.path.join(self.cache, layout, 'pengzhendong', 'wetext')
            os.makedirs(os.path.dirname(os.path.join(repo, WETEXT_MARKER)))
            with open(os.path.join(repo, WETEXT_MARKER), 'w') as f:
                f.write('fst')
            status = _with_fake_wetext(normalizer_status)
            self.assertTrue(status['ok'], layout)
            self.assertEqual(status['source'], 'modelscope-cache')
            shutil.rmtree(os.path.join(self.cache, layout, 'pengzhendong') if layout else os.path.join(self.cache, 'pengzhendong'))
        self.assertFalse(_with_fake_wetext(normalizer_status)['ok'])


def _with_fake_wetext(fn):
    """normalizer_status with an importable `wetext` that ships no grammars (as 0.0.4)."""
    pkg = tempfile.mkdtemp(prefix='cosyfleet-wetext-')
    os.mkdir(os.path.join(pkg, 'wetext'))
    open(os.path.join(pkg, 'wetext', '__init__.py'), 'w').close()
    sys.path.insert(0, pkg)
    try:
        return fn()
    finally:
        sys.path.remove(pkg)
        shutil.rmtree(pkg)


if __name__ == '__main__':
    unittest.main()
