"""Stand-in torch.cuda: memory counters the stand-in model moves, as a GPU process would."""
import threading

_lock = threading.Lock()
_allocated = 0
_reserved = 0
_peak = 0
empty_cache_calls = 0


class OutOfMemoryError(RuntimeError):
    pass


def is_available():
    return True


def allocate(n):
    global _allocated, _reserved, _peak
    with _lock:
        _allocated += n
        _reserved = max(_reserved, _allocated)
        _peak = max(_peak, _allocated)


def free(n):
    global _allocated
    with _lock:
        _allocated = max(0, _allocated - n)


def memory_allocated():
    return _allocated


def memory_reserved():
    return _reserved


def max_memory_allocated():
    return _peak


def reset_peak_memory_stats():
    global _peak
    _peak = _allocated


def empty_cache():
    global _reserved, empty_cache_calls
    _reserved = _allocated
    empty_cache_calls += 1
    from cosyvoice.cli import journal

    journal.record('empty_cache')
