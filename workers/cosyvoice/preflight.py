"""What would make the official package fail, hang or download at load, found before it loads.
Standard library only: the worker runs it before importing the package, and `cosyfleet doctor`
runs this file as a script (it prints one JSON object).

- A read-only model directory: `load_trt` builds `flow.decoder.estimator.{fp16,fp32}.mygpu.plan`
  into the model directory when it is missing (cosyvoice/cli/model.py load_trt ->
  cosyvoice/utils/file_utils.py convert_onnx_to_trt, which opens the file for writing only after
  a build of several minutes), and `load_vllm` exports the LLM to `<model dir>/vllm` when that is
  missing (file_utils.py export_cosyvoice2_vllm). On a read-only mount both fail late.
- The text normalizer's grammars: wetext 0.0.4 (pinned by CosyVoice's requirements) fetches them
  from ModelScope (`pengzhendong/wetext`) when the frontend is built, at every model load that
  does not find them cached. Offline, the ref the image pinned before (0c50894) fails the load;
  later refs catch the error and run with no normalizer at all, silently. The worker never
  downloads: when they are missing it says so and installs a pass-through normalizer instead
  (see `install_passthrough_normalizer`).
"""
from __future__ import annotations

import glob
import importlib.util
import json
import os
import sys
import tempfile
import types
from typing import Dict, List, Optional

WETEXT_REPO = ('pengzhendong', 'wetext')
WETEXT_MARKER = os.path.join('zh', 'tn', 'tagger.fst')
FETCH_WETEXT = "python -c \"from modelscope import snapshot_download; snapshot_download('pengzhendong/wetext')\""


def _writable(directory: str) -> bool:
    """A real write: access() can say yes on a mount that refuses writes (some overlay setups)."""
    try:
        fd, path = tempfile.mkstemp(prefix='.cosyfleet-write-test-', dir=directory)
    except OSError:
        return False
    os.close(fd)
    os.remove(path)
    return True


def model_dir_problems(model_dir: str, load_trt: bool, load_vllm: bool, fp16: bool) -> List[Dict[str, str]]:
    """Problems that stop the load ('fail') or deserve a word ('warn')."""
    if not os.path.isdir(model_dir):
        return [{'level': 'fail', 'message': 'model directory %s does not exist (COSYVOICE_MODEL_DIR); download the model there first' % model_dir}]
    writes = []
    if load_trt:
        plan = os.path.join(model_dir, 'flow.decoder.estimator.%s.mygpu.plan' % ('fp16' if fp16 else 'fp32'))
        if not os.path.isfile(plan) or os.path.getsize(plan) == 0:
            writes.append('COSYVOICE_LOAD_TRT=1 builds the TensorRT plan %s into it (several minutes, then the write)' % os.path.basename(plan))
    if load_vllm and not os.path.isdir(os.path.join(model_dir, 'vllm')):
        writes.append('COSYVOICE_LOAD_VLLM=1 exports the LLM to its vllm/ folder')
    if writes and not _writable(model_dir):
        return [{
            'level': 'fail',
            'message': 'model directory %s is read-only, but %s. Start once with it mounted read-write (or build it on a '
                       'writable copy and copy the result in), then mount it read-only again.' % (model_dir, '; and '.join(writes)),
        }]
    return [{'level': 'warn', 'message': 'the first start writes into %s: %s' % (model_dir, w)} for w in writes]


def _cache_roots() -> List[str]:
    roots = []
    if os.environ.get('MODELSCOPE_CACHE'):
        roots.append(os.environ['MODELSCOPE_CACHE'])
    roots.append(os.path.join(os.path.expanduser('~'), '.cache', 'modelscope'))
    return roots


def normalizer_status() -> Dict[str, Optional[str]]:
    """Where the package's text normalizer would get its resources without a download, if anywhere."""
    if importlib.util.find_spec('ttsfrd') is not None:
        return {'ok': True, 'source': 'ttsfrd', 'detail': 'ttsfrd is installed (the package prefers it to wetext)'}
    spec = importlib.util.find_spec('wetext')
    if spec is None:
        return {'ok': True, 'source': None, 'detail': 'wetext is not installed: the package runs without a text normalizer'}
    for location in spec.submodule_search_locations or []:
        if os.path.isfile(os.path.join(location, 'fsts', WETEXT_MARKER)):
            return {'ok': True, 'source': 'wetext', 'detail': 'wetext ships its grammars (%s)' % location}
    # ModelScope has laid repositories out as <cache>/<owner>/<name>, <cache>/hub/<owner>/<name>
    # and <cache>/hub/models/<owner>/<name> over its versions: look for any of them.
    for root in _cache_roots():
        for depth in ('', '*', os.path.join('*', '*')):
            for found in glob.glob(os.path.join(root, depth, *WETEXT_REPO)):
                if os.path.isfile(os.path.join(found, WETEXT_MARKER)):
                    return {'ok': True, 'source': 'modelscope-cache', 'detail': 'wetext grammars cached at %s' % found}
    return {
        'ok': False,
        'source': None,
        'detail': 'the text normalizer\'s grammars (ModelScope pengzhendong/wetext) are not on this machine, and wetext would '
                  'download them at every model load (MODELSCOPE_CACHE=%s). Fetch them once: %s'
                  % (os.environ.get('MODELSCOPE_CACHE') or '~/.cache/modelscope', FETCH_WETEXT),
    }


class _PassThroughNormalizer:
    """Stands in for wetext.Normalizer when its grammars are missing: text passes unchanged (the
    package still spells out English numbers with inflect; Chinese numerals stay as written)."""

    def __init__(self, *args, **kwargs) -> None:
        pass

    def normalize(self, text: str) -> str:
        return text


def install_passthrough_normalizer() -> None:
    """Makes `from wetext import Normalizer` give the pass-through, before the package imports it."""
    module = types.ModuleType('wetext')
    module.Normalizer = _PassThroughNormalizer  # type: ignore[attr-defined]
    module.__cosyfleet_passthrough__ = True  # type: ignore[attr-defined]
    sys.modules['wetext'] = module


def main(argv: List[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(description='cosyfleet: what would stop the CosyVoice3 worker at load')
    parser.add_argument('--model-dir', required=True)
    parser.add_argument('--load-trt', default='0')
    parser.add_argument('--load-vllm', default='0')
    parser.add_argument('--fp16', default='0')
    args = parser.parse_args(argv)
    on = ('1', 'true', 'yes', 'on')
    report = {
        'modelDir': model_dir_problems(args.model_dir, args.load_trt.lower() in on, args.load_vllm.lower() in on, args.fp16.lower() in on),
        'normalizer': normalizer_status(),
    }
    print(json.dumps(report))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
