"""The errors dedup raises on purpose, under one base class, and the warnings it gives.

Catch :class:`DedupError` to handle every failure that dedup reports deliberately (bad usage,
bad input, an output that cannot or must not be written); any other exception is a bug. The
classes that describe a bad value also derive from :class:`ValueError` or :class:`TypeError`, so
code written against those keeps working.

>>> issubclass(OutputError, DedupError), issubclass(InputError, ValueError)
(True, True)
>>> try:
...     raise ArgumentTypeError("text must be str, not NoneType")
... except TypeError as exc:
...     print(exc)
text must be str, not NoneType
"""

from __future__ import annotations

__all__ = [
    "ArgumentTypeError",
    "ArgumentValueError",
    "BinaryInputError",
    "DataFileError",
    "DedupError",
    "InputError",
    "KernelCacheWarning",
    "LockedError",
    "OutputError",
    "OutputWriteError",
    "ScratchError",
    "UsageError",
]


class DedupError(Exception):
    """The base of every error dedup raises on purpose."""


class UsageError(DedupError, ValueError):
    """The command line or a call asks for something that cannot be done."""


class ArgumentTypeError(DedupError, TypeError):
    """A library function was given an argument of the wrong type (the message names both)."""


class ArgumentValueError(DedupError, ValueError):
    """A library function was given an argument of the right type but a value it cannot take (the message shows it)."""


class InputError(DedupError, ValueError):
    """Input that cannot be taken as it is (a duplicate document id, a record that is not text)."""


class BinaryInputError(InputError):
    """The bytes are not text (a NUL byte, many control bytes, or a known binary format)."""


class DataFileError(DedupError, ValueError):
    """A data file dedup loads (chrome rules, the line model, the lexicon) is malformed."""


class OutputError(DedupError, ValueError):
    """The requested output would overwrite input, escape the output folder, or someone else's files."""


class LockedError(OutputError):
    """Another dedup run is writing into the same output folder."""


class OutputWriteError(DedupError, OSError):
    """An output could not be written (full disk, read-only folder, closed pipe); nothing half-written is left."""


class ScratchError(OutputWriteError):
    """A scratch file (a sorted run spilled to disk) could not be written, or was not there whole when read back."""


class KernelCacheWarning(UserWarning):
    """numba cannot write its on-disk cache here, so the kernels are compiled in memory in every process."""
