"""Makes the official package's CosyVoice2/3 model safe to serve from: no hang when its LLM thread
fails, nothing left behind when a caller stops reading. Standard library only.

Upstream's `CosyVoice2Model.tts()` (cosyvoice/cli/model.py, both the ref the image pins and HEAD)
starts `llm_job` in a `threading.Thread` and then polls `llm_end_dict[uuid]`, which only
`llm_job` sets, and only when it ends normally. Two consequences:

- An exception in the LLM thread (CUDA out of memory during generation, the `<|endofprompt|>`
  assert of cosyvoice/llm/llm.py at HEAD) is printed by `threading.excepthook` and lost: the
  streaming loop then polls forever while the worker goes on answering heartbeats, and the
  non-streaming path turns whatever tokens came before the failure into audio as if they were the
  whole text.
- `tts()` cleans up (`tts_speech_token_dict`, `llm_end_dict`, `hift_cache_dict`) only after its
  last chunk. A generator closed early (a cancelled request) skips that, and its LLM thread goes
  on generating to `max_len` on the GPU.

`guard_model(cosyvoice)` wraps the instance's `model.llm_job` and `model.tts` (instance attributes:
the package's classes stay untouched) so that

- an exception in the LLM thread is kept, `llm_end_dict[uuid]` is set so `tts()` stops waiting,
  and the same exception is raised in the caller's thread in place of any further audio;
- a `tts()` generator that does not run to its end (closed, or failed) removes its session's
  entries, which also stops its LLM thread at its next token (the thread's append finds no list),
  and aborts its vLLM request when the LLM runs on vLLM;
- at HEAD (since f26cde5, 2026-01-29) the streaming loop doubles `self.token_hop_len` after every
  chunk and never resets it, so every call after the first starts with 4 s chunks: the guard puts
  the loaded value back before a call when no other call is running (a running call may still
  grow it; a ref that does not mutate it is unaffected);
- `progress_of(thread)` tells, for that thread's current `tts()`, how many speech tokens its LLM
  thread has made: the worker's no-progress watchdog reads it.

The LLM thread receives the same `text` object that `tts()` was called with, which is how a thread
is matched to its call (`uuid` is made inside `tts()`, out of reach).
"""
from __future__ import annotations

import inspect
import threading
from typing import Callable, Dict, Optional

# Every per-session dict of upstream's CosyVoiceModel family (v1 also has the two last ones).
SESSION_DICTS = ('tts_speech_token_dict', 'llm_end_dict', 'hift_cache_dict', 'mel_overlap_dict', 'flow_cache_dict')


class _Run:
    """One `tts()` call and what its LLM thread did."""

    __slots__ = ('lock', 'uuid', 'error', 'cancelled', 'llm_finished')

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.uuid: Optional[str] = None
        self.error: Optional[BaseException] = None
        self.cancelled = False
        self.llm_finished = False


class ModelGuard:
    def __init__(self, model, log: Callable[[str], None]) -> None:
        self.model = model
        self.log = log
        self._runs_by_text: Dict[int, _Run] = {}
        self._runs_by_thread: Dict[int, _Run] = {}
        self._lock = threading.Lock()
        self._llm_job = model.llm_job
        self._tts = model.tts
        self._hop_len = getattr(model, 'token_hop_len', None)
        model.llm_job = self._guarded_llm_job
        model.tts = self._guarded_tts

    # -- the caller's side -------------------------------------------------------------------

    def _guarded_tts(self, *args, **kwargs):
        text = kwargs.get('text', args[0] if args else None)
        if text is None:  # voice conversion and other shapes without an LLM thread of ours
            yield from self._tts(*args, **kwargs)
            return
        run = _Run()
        key, me = id(text), threading.get_ident()
        with self._lock:
            if not self._runs_by_text and self._hop_len is not None:
                self.model.token_hop_len = self._hop_len
            self._runs_by_text[key] = run
            self._runs_by_thread[me] = run
        inner = self._tts(*args, **kwargs)
        ended = False
        try:
            for out in inner:
                if run.error is not None:
                    raise run.error
                yield out
            if run.error is not None:
                raise run.error
            ended = True
        except GeneratorExit:
            raise
        except BaseException as error:
            # A failure of tts() itself after the LLM thread failed is a consequence: report the cause.
            if run.error is not None and error is not run.error:
                raise run.error from error
            raise
        finally:
            with self._lock:
                self._runs_by_text.pop(key, None)
                if self._runs_by_thread.get(me) is run:
                    del self._runs_by_thread[me]
            if not ended:
                self._abandon(run, inner)

    def _abandon(self, run: _Run, inner) -> None:
        started = inspect.getgeneratorstate(inner) != inspect.GEN_CREATED
        inner.close()
        if not started:
            return  # tts() never ran: no session, no thread
        with run.lock:
            run.cancelled = True
            uuid = run.uuid
        # Without a uuid yet, the LLM thread has not reached its first line; it sees `cancelled`
        # there and forgets its own session.
        if uuid is not None:
            self._forget(uuid)

    def progress_of(self, thread_ident: int) -> Optional[int]:
        with self._lock:
            run = self._runs_by_thread.get(thread_ident)
        return self._tokens(run)

    def _tokens(self, run: Optional[_Run]) -> Optional[int]:
        if run is None or run.uuid is None:
            return None
        tokens = getattr(self.model, 'tts_speech_token_dict', {}).get(run.uuid)
        return len(tokens) if tokens is not None else None

    # -- the LLM thread's side ---------------------------------------------------------------

    def _guarded_llm_job(self, text, prompt_text, llm_prompt_speech_token, llm_embedding, uuid):
        with self._lock:
            run = self._runs_by_text.get(id(text))
        if run is None:
            return self._llm_job(text, prompt_text, llm_prompt_speech_token, llm_embedding, uuid)
        with run.lock:
            run.uuid = uuid
            cancelled = run.cancelled
        if cancelled:
            self._forget(uuid)
            return None
        try:
            self._llm_job(text, prompt_text, llm_prompt_speech_token, llm_embedding, uuid)
        except BaseException as error:  # noqa: BLE001 - handed to the caller's thread
            with run.lock:
                if not run.cancelled:
                    run.error = error
        finally:
            with run.lock:
                run.llm_finished = True
                cancelled = run.cancelled
                # What tts() polls for; the error is set first, so the caller sees it before any
                # audio made from the tokens that came before the failure.
                if not cancelled and run.error is not None:
                    self.model.llm_end_dict[uuid] = True
            if cancelled:
                # Also after the caller's clean-up: llm_job may have set llm_end_dict since.
                self._forget(uuid)
        return None

    # -- clean-up ----------------------------------------------------------------------------

    def _forget(self, uuid: str) -> None:
        llm = getattr(self.model, 'llm', None)
        vllm = getattr(llm, 'vllm', None)
        if vllm is not None:
            # Abort before dropping the queue: a later step() would look the request's queue up.
            lock = getattr(llm, 'lock', None) or threading.Lock()
            with lock:
                try:
                    # A list: vLLM's V1 LLMEngine.abort_request takes list[str] (V0 any iterable
                    # of ids, or one id), and would read a bare string as one id per character.
                    vllm.abort_request([uuid])
                except Exception as error:  # noqa: BLE001 - best effort; logged
                    self.log('could not abort vLLM request %s: %s' % (uuid, error))
                queues = getattr(llm, 'vllm_output_queue', None)
                if isinstance(queues, dict):
                    queues.pop(uuid, None)
        with self.model.lock:
            for name in SESSION_DICTS:
                entries = getattr(self.model, name, None)
                if isinstance(entries, dict):
                    entries.pop(uuid, None)

    def sessions(self) -> int:
        """Entries left in the model's per-session dicts (0 when nothing runs)."""
        with self.model.lock:
            return sum(len(getattr(self.model, name)) for name in SESSION_DICTS if isinstance(getattr(self.model, name, None), dict))


def guard_model(cosyvoice, log: Callable[[str], None]) -> ModelGuard:
    """Guards a loaded AutoModel's `model` (CosyVoice2Model/CosyVoice3Model) in place."""
    return ModelGuard(cosyvoice.model, log)
