"""A pure computation run in a forked child process, its result collected later: the second core.

The child starts as a copy of the caller (no pickling of the work, copy-on-write memory), computes,
sends its result back through a pipe and leaves with os._exit (multiprocessing's fork start), so it
never runs the parent's finalisers: database connections it inherited are not closed from there.
The work must not touch shared resources (database, files being written, the caller's progress row).
"""
from __future__ import annotations

import multiprocessing
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any


class ForkedWork:
    """`work()` running in a child; `result()` waits for it (and re-raises its failure)."""

    def __init__(self, work: Callable[[], Any]):
        context = multiprocessing.get_context("fork")
        self._reader, writer = context.Pipe(duplex=False)
        self._process = context.Process(target=_run_and_send, args=(work, writer), name="forked-work")
        self._process.start()
        writer.close()  # the child holds the writing end: its exit ends the pipe

    def result(self) -> Any:
        try:
            status, value = self._reader.recv()
        except EOFError:
            self._process.join()
            raise RuntimeError(f"the forked worker ended without a result (exit code {self._process.exitcode})") \
                from None
        finally:
            self._reader.close()
        self._process.join()
        if status == "error":
            raise RuntimeError(f"the forked worker failed:\n{value}")
        return value

    def cancel(self) -> None:
        """Stop the child (the caller failed before asking for the result)."""
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._reader.close()


def _run_and_send(work: Callable[[], Any], writer: Connection) -> None:
    try:
        outcome: tuple[str, Any] = ("ok", work())
    except BaseException:  # noqa: BLE001 - whatever failed, the parent reports it
        outcome = ("error", traceback.format_exc())
    writer.send(outcome)
    writer.close()
