"""Stand-in for wetext 0.0.4 (the version CosyVoice's requirements pin): Normalizer() fetches its
grammars with modelscope.snapshot_download('pengzhendong/wetext') when constructed. normalize()
spells out digits, so a test can tell whether the normalizer ran."""
from modelscope import snapshot_download

_DIGITS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine']


class Normalizer:
    def __init__(self, lang='auto', operator='tn', remove_erhua=False, **kwargs):
        self.repo_dir = snapshot_download('pengzhendong/wetext')

    def normalize(self, text):
        return ''.join(' %s ' % _DIGITS[int(c)] if c.isdigit() and c.isascii() else c for c in text).replace('  ', ' ')
