"""Stand-in for modelscope.snapshot_download: a repository already in the cache
(MODELSCOPE_CACHE, default ~/.cache/modelscope/hub; laid out owner/name) is returned; anything
else is a download, which fails as it does on a machine without internet."""
import os

from cosyvoice.cli import journal


def cache_root():
    return os.environ.get('MODELSCOPE_CACHE') or os.path.join(os.path.expanduser('~'), '.cache', 'modelscope', 'hub')


def snapshot_download(model_id, **kwargs):
    path = os.path.join(cache_root(), *model_id.split('/'))
    if os.path.isdir(path):
        return path
    journal.record('download', model_id=model_id)
    raise ConnectionError('HTTPSConnectionPool(host=\'www.modelscope.cn\', port=443): Max retries exceeded (stand-in: no network)')
