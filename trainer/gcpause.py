"""Pausing Python's cyclic garbage collector while a large, long-lived structure is built.

Loading content, compiling a rulebook or unpickling a cached load creates hundreds
of thousands of objects that all stay alive. Every 700 new objects the collector
runs, and every tenth of those runs walks everything the process holds, so a
cold ``trainer list`` spent about a third of its CPU time (0.4 s of 1.3 s)
looking for garbage that was not there. Inside `paused` the collector waits; at
the end the objects still alive are moved out of its reach (``gc.freeze``), as a
loaded content set or rulebook lives as long as the front end that asked for it.
Without the freeze, the first collection after the block (and the one at exit)
would walk all of them once more: another 0.1 s a load.

Freeing by reference counts goes on as usual, inside the block and after, for
frozen objects too; only a reference cycle that is already garbage when the block
ends is never reclaimed, which costs a little memory, never a wrong result.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """Hold the cyclic collector off inside the block (also usable as a decorator),
    then freeze what is alive.

    Nested blocks are fine: only the outermost one, which switched the collector
    off, freezes and switches it back on (and only if it was on before).
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.freeze()
            gc.enable()
