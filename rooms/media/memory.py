"""Giving freed memory back to the system after a speaker leaves.

Each peer connection allocates codec and crypto buffers in C; glibc's malloc keeps what they
free for reuse, so an engine's resident size crept up over hundreds of joins and leaves (+11 %
over 200 cycles, tests/bench/media_engine.py) although the Python heap did not grow.
malloc_trim hands the free pages back; on other C libraries this does nothing."""

import ctypes
import ctypes.util

_libc = None
_name = ctypes.util.find_library("c")
if _name:
    try:
        _libc = ctypes.CDLL(_name)
        _libc.malloc_trim.argtypes = [ctypes.c_size_t]
    except (OSError, AttributeError):
        _libc = None


def release_freed_memory() -> None:
    if _libc is not None:
        _libc.malloc_trim(0)
