"""CPU-bound work over many files, spread over the machine's cores when there is enough."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

# Below this many items a worker pool costs more to start than it saves.
PARALLEL_THRESHOLD = 150
_CHUNK = 64


def spread(
    work: Callable[[list[Item]], Sequence[Result]],
    items: list[Item],
    size: Callable[[Item], int],
) -> list[Result]:
    """`work` (a picklable function of a list, answering one result per item) over `items`,
    in worker processes when there are many; the results in the items' order."""
    if len(items) < PARALLEL_THRESHOLD or (os.cpu_count() or 1) < 2:
        return list(work(items))
    from concurrent.futures import ProcessPoolExecutor

    # Big items first spread the work evenly; the order is restored below.
    order = sorted(range(len(items)), key=lambda i: -size(items[i]))
    count = max(1, len(order) // _CHUNK)
    chunks = [order[i::count] for i in range(count)]
    results: list[Result | None] = [None] * len(items)
    with ProcessPoolExecutor(max_workers=os.cpu_count()) as pool:
        answers = pool.map(work, [[items[i] for i in chunk] for chunk in chunks])
        for chunk, answer in zip(chunks, answers, strict=True):
            for index, result in zip(chunk, answer, strict=True):
                results[index] = result
    return results  # type: ignore[return-value]  # every slot is filled above
