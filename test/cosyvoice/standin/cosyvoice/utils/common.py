"""Stand-in for cosyvoice.utils.common: the package seeds every generator it uses."""
import random

from cosyvoice.cli import journal


def set_all_random_seed(seed):
    random.seed(seed)
    journal.record('set_all_random_seed', seed=seed)
