"""Parsing untrusted files in a child process that can be killed: a file built to exhaust a
parser's memory or time takes down only that child, never the web process or the CLI.

The child is forked from a ``forkserver`` process started once (with the parsers and the
program's own modules already imported), not from the web process itself: forking a process
with threads is unsafe, and a fresh interpreter for each upload would cost ~0.6 s. Each child
caps its own address space (``RLIMIT_AS``) and CPU time (``RLIMIT_CPU``): a file built to take
time is stopped by its own CPU limit, whatever else the machine is doing. The parent stops
waiting (and kills it) only after ``WALL_FACTOR`` times as long on the clock, for a child stuck
without using CPU: a wall-clock limit alone refused ordinary documents on a busy machine. An
ordinary upload pays ~35 ms for this (measured: a one-page PDF checked in 0.5 ms in process,
~37 ms through a child).

What comes back is the work's return value, or one of the error types the caller names
(their messages are ours: they name the file and say why, never quote it). Any other failure
in the child — a library's own exception, whose text may quote the file — comes back only as
:class:`ContainedError` saying which limit was met.
"""

from __future__ import annotations

import contextlib
import inspect
import multiprocessing
import resource
import signal
import sys
import threading
import types
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, Literal, TypeVar

__all__ = ["PARSE_MEMORY", "PARSE_SECONDS", "ContainedError", "run_contained", "warm_up"]

T = TypeVar("T")

PARSE_SECONDS = 10.0  # CPU time for one file's check; real documents need well under 1 s
WALL_FACTOR = 6  # how many times PARSE_SECONDS the parent waits on the clock
PARSE_MEMORY = 512 * 1024 * 1024  # address space the child may add to the forkserver's
# the libraries every check uses, imported once in the forkserver so a child starts warm
_PRELOAD = ("pypdf", "docx", "icalendar", "openpyxl", "bot.core.files.uploads")

Why = Literal["time", "memory", "failed"]


class ContainedError(Exception):
    """The child parsing a file was stopped: ``why`` is "time", "memory" or "failed"."""

    def __init__(self, why: Why) -> None:
        """Keep which limit stopped it (the message never quotes the file)."""
        super().__init__(f"the file's check stopped ({why})")
        self.why = why


_lock = threading.Lock()
_context: Any = None


def _forkserver() -> Any:
    """The forkserver context, its preload set once (the server starts on first use)."""
    global _context
    with _lock:
        if _context is None:
            _context = multiprocessing.get_context("forkserver")
            _context.set_forkserver_preload([*_main_modules(), *_PRELOAD])
        return _context


def _main_modules() -> list[str]:
    """What the program's main module imports (the ``compliance-bot`` script's
    ``bot.cli.main``; ``python -m``'s module), for the forkserver to import once: each child
    runs the main module again, and finds its imports done. CPython 3.11's forkserver ignores
    "__main__" in its preload (it looks for ``main_path``, which the preparation data calls
    ``init_main_from_path``), so without this every child imported the whole CLI again:
    ~0.4 s of CPU per file checked."""
    main = sys.modules["__main__"]
    spec = getattr(main, "__spec__", None)
    if spec is not None:
        return [spec.name]
    named = {
        value.__name__ if isinstance(value, types.ModuleType) else value.__module__
        for name, value in vars(main).items()
        if not name.startswith("__")
        and (
            isinstance(value, types.ModuleType)
            or inspect.isfunction(value)
            or inspect.isclass(value)
        )
    }
    return sorted(m for m in named if isinstance(m, str) and m not in ("__main__", "builtins"))


def _vm_size() -> int:
    """This process's address space now, in bytes (0 where /proc is not there)."""
    with contextlib.suppress(OSError), open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _child(
    work: Callable[[bytes], Any],
    data: bytes,
    passed: tuple[type[BaseException], ...],
    memory: int,
    seconds: float,
    out: Connection,
) -> None:
    """In the child: cap memory and CPU, run ``work``, send back its result or a safe error."""
    resource.setrlimit(resource.RLIMIT_AS, (_vm_size() + memory,) * 2)
    cpu = int(seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    try:
        answer: tuple[str, Any] = ("ok", work(data))
    except passed as exc:
        answer = ("error", exc)
    except MemoryError:
        answer = ("stopped", "memory")
    except BaseException:  # a library's own error may quote the file: never send its text
        answer = ("stopped", "failed")
    try:
        out.send(answer)
    except MemoryError:
        out.send(("stopped", "memory"))
    finally:
        out.close()


def run_contained(
    work: Callable[[bytes], T],
    data: bytes,
    *,
    passed: tuple[type[BaseException], ...] = (),
    seconds: float = PARSE_SECONDS,
    memory: int = PARSE_MEMORY,
) -> T:
    """``work(data)`` in a child process limited to ``memory`` more bytes and ``seconds``.

    Args:
        work: a module-level function (it is sent to the child by reference).
        data: the file's bytes.
        passed: exception types ``work`` raises on purpose with safe messages; they are
            re-raised here as they were.
        seconds: the child's CPU time; the parent waits ``WALL_FACTOR`` times as long on the
            clock before killing it.
        memory: how much address space the child may add.

    Returns:
        What ``work`` returned.

    Raises:
        ContainedError: the child ran out of time or memory, or failed some other way.

    Example::

        try:
            run_contained(check_everything, data, passed=(AttachmentError,))
        except ContainedError:
            raise AttachmentError(f"{name}: this file could not be read") from None
    """
    context = _forkserver()
    receive, send = context.Pipe(duplex=False)
    process = context.Process(
        target=_child, args=(work, data, passed, memory, seconds, send), daemon=True
    )
    process.start()
    send.close()
    try:
        if not receive.poll(seconds * WALL_FACTOR):
            raise ContainedError("time")
        try:
            kind, value = receive.recv()
        except (EOFError, OSError):  # it died without a word: killed by a limit
            process.join(1.0)
            raise ContainedError(_why_it_died(process.exitcode)) from None
    finally:
        receive.close()
        if process.is_alive():
            process.kill()
        process.join()
        process.close()
    if kind == "ok":
        return value  # type: ignore[no-any-return]
    if kind == "error":
        raise value
    raise ContainedError(value)


def _why_it_died(exitcode: int | None) -> Why:
    """Which limit killed the child, from how it ended (SIGXCPU: its CPU time; SIGKILL or
    SIGSEGV/SIGABRT after a failed allocation: its memory)."""
    if exitcode is None or exitcode == -signal.SIGXCPU:
        return "time"
    if exitcode in (-signal.SIGKILL, -signal.SIGSEGV, -signal.SIGABRT, -signal.SIGBUS):
        return "memory"
    return "failed"


def warm_up() -> None:
    """Start the forkserver now (at a web process's start), not on the first upload."""
    with contextlib.suppress(Exception):
        _forkserver()
        run_contained(len, b"")
