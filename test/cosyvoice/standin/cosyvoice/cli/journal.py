"""Appends one JSON line per call to $COSYVOICE_STANDIN_JOURNAL (read by the tests)."""
import json
import os
import threading


def record(event, **fields):
    path = os.environ.get('COSYVOICE_STANDIN_JOURNAL')
    if not path:
        return
    line = json.dumps({'event': event, 'pid': os.getpid(), 'thread': threading.get_ident(), **fields}, ensure_ascii=False) + '\n'
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode('utf-8'))
    finally:
        os.close(fd)


def once(marker, text):
    """True the first time (across processes) this marker fires for this text."""
    state = os.environ.get('COSYVOICE_STANDIN_STATE')
    if not state:
        return True
    import hashlib

    name = os.path.join(state, marker + '-' + hashlib.sha1(text.encode('utf-8')).hexdigest())
    try:
        os.close(os.open(name, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        return True
    except FileExistsError:
        return False
