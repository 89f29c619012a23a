"""Vectorised identifiers: resident ID numbers, credit codes, plates."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from minzheng.lib.idcard import CHECK_CHARS, WEIGHTS

_POW = 10 ** np.arange(16, -1, -1, dtype=np.int64)
_CHECK = np.frombuffer(CHECK_CHARS.encode(), dtype=np.uint8)


def sequence_numbers(region: np.ndarray, birth: np.ndarray, male: np.ndarray, rng) -> np.ndarray:
    """Distinct 3-digit sequence numbers per (region, birth date), odd for men, even for women."""
    n = len(region)
    key = rng.random(n)
    order = np.lexsort((key, male, birth, region))
    r, b, m = region[order], birth[order], male[order]
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = (r[1:] != r[:-1]) | (b[1:] != b[:-1]) | (m[1:] != m[:-1])
    starts = np.flatnonzero(new_group)
    rank = np.arange(n) - np.repeat(starts, np.diff(np.append(starts, n)))
    if n and rank.max() >= 500:
        raise ValueError("more than 500 people share a region, birth date and sex")
    seq = np.empty(n, dtype=np.int64)
    seq[order] = rank * 2 + m.astype(np.int64)
    return seq


def id_numbers(region: np.ndarray, birth: np.ndarray, seq: np.ndarray) -> pa.Array:
    """18-character GB 11643 numbers from region codes, datetime64[D] birth dates, sequences."""
    ymd = birth.astype("datetime64[D]")
    years = ymd.astype("datetime64[Y]").astype(np.int64) + 1970
    months = ymd.astype("datetime64[M]").astype(np.int64) % 12 + 1
    days = (ymd - ymd.astype("datetime64[M]")).astype(np.int64) + 1
    first17 = region.astype(np.int64) * 10**11 + (years * 10000 + months * 100 + days) * 1000 + seq
    digits = (first17[:, None] // _POW) % 10
    check = _CHECK[(digits * np.array(WEIGHTS)).sum(axis=1) % 11]
    chars = np.empty((len(region), 18), dtype=np.uint8)
    chars[:, :17] = digits + 48
    chars[:, 17] = check
    return fixed_width_strings(chars)


def fixed_width_strings(chars: np.ndarray) -> pa.Array:
    """An Arrow string array from an (n, width) matrix of ASCII bytes, without copying rows."""
    n, width = chars.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    return pa.Array.from_buffers(
        pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(chars))]
    )


def coded(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Identifiers such as H330102 00000001: a fixed prefix and zero-padded numbers."""
    digits = np.char.zfill(numbers.astype(str), width) if len(numbers) else np.array([], dtype=str)
    return pa.array(np.char.add(prefix, digits) if len(numbers) else [], type=pa.string())


def distinct(numbers: np.ndarray) -> np.ndarray:
    """The drawn numbers made distinct with the least change (each duplicate moved up past
    the previous one, order of the draw kept): identifiers that are a key of their feed."""
    if len(numbers) == 0:
        return numbers
    order = np.argsort(numbers, kind="stable")
    steps = np.arange(len(numbers))
    lifted = np.maximum.accumulate(numbers[order] - steps) + steps
    out = np.empty_like(numbers)
    out[order] = lifted
    return out
