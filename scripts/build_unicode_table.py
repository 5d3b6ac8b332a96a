"""Build the Unicode token table that dedup ships (``src/dedup/data/unicode_tokens.npz``).

The table classifies every code point with :func:`dedup.hashing.tokens.char_class` and stores its case
folding, so tokenising needs no :mod:`unicodedata` at run time and signatures stay stable across Python
upgrades. Rebuilding it with a newer Python changes the hashes of texts in newly assigned characters:
do it on purpose, and say so.

    python scripts/build_unicode_table.py [PATH]
"""

from __future__ import annotations

import sys
import unicodedata

import numpy as np

from dedup.hashing.tokens import (
    BLOCK_SHIFT,
    CLASS_IGNORABLE,
    CLASS_SEPARATOR,
    MAX_FOLD,
    MULTI_FOLD,
    TokenTable,
    char_class,
)

DEFAULT_PATH = "src/dedup/data/unicode_tokens.npz"


def build_table() -> TokenTable:
    """Build the table from this Python's :mod:`unicodedata` (takes a few seconds)."""
    size = 1 << BLOCK_SHIFT
    entries = np.zeros(0x110000, dtype=np.int64)
    expansions: list[list[int]] = [[0] * MAX_FOLD]
    for cp in range(0x110000):
        if 0xD800 <= cp < 0xE000:
            continue
        ch = chr(cp)
        cls = char_class(ch)
        if cls in (CLASS_SEPARATOR, CLASS_IGNORABLE):
            entries[cp] = cls
            continue
        folded = ch.casefold()
        if len(folded) == 1:
            entries[cp] = cls | ((ord(folded) - cp) << 8)
        else:
            entries[cp] = cls | MULTI_FOLD | (len(expansions) << 8)
            expansions.append([ord(c) for c in folded] + [0] * (MAX_FOLD - len(folded)))
    seen: dict[bytes, int] = {}
    index = np.empty(0x110000 >> BLOCK_SHIFT, dtype=np.int32)
    for b in range(index.size):
        key = entries[b * size : (b + 1) * size].astype(np.int32).tobytes()
        index[b] = seen.setdefault(key, len(seen))
    blocks = np.frombuffer(b"".join(seen), dtype=np.int32).copy()
    return TokenTable(index, blocks, np.array(expansions, dtype=np.int32), unicodedata.unidata_version)


def write_table(table: TokenTable, path: str) -> None:
    """Save ``table`` as a compressed ``.npz`` file."""
    np.savez_compressed(
        path,
        index=table.index,
        blocks=table.blocks,
        expansions=table.expansions,
        unicode_version=np.array(table.unicode_version),
    )


def main(argv: list[str]) -> int:
    """Write the table to ``argv[0]`` (default: the shipped file)."""
    path = argv[0] if argv else DEFAULT_PATH
    table = build_table()
    write_table(table, path)
    print(f"wrote {path}: Unicode {table.unicode_version}, {table.blocks.size >> BLOCK_SHIFT} distinct blocks")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
