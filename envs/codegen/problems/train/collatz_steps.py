def collatz_steps(n: int) -> int:
    """Return how many Collatz steps take ``n`` (``n >= 1``) down to 1.

    One step replaces an even ``n`` by ``n // 2`` and an odd ``n`` by ``3 * n + 1``.

    >>> collatz_steps(6)
    8
    >>> collatz_steps(1)
    0
    """
    # -- solution --
    steps = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps


# -- tests --
assert collatz_steps(6) == 8
assert collatz_steps(1) == 0
assert collatz_steps(2) == 1
assert collatz_steps(3) == 7
assert collatz_steps(16) == 4
assert collatz_steps(27) == 111
