def min_coins(amount: int, coins: list[int]) -> int:
    """Return the fewest coins (each value in ``coins`` usable any number of times) that add up to ``amount``.

    Return 0 for ``amount == 0`` and -1 if the amount cannot be made.

    >>> min_coins(11, [1, 2, 5])
    3
    >>> min_coins(3, [2])
    -1
    """
    # -- solution --
    best = [0] + [-1] * amount
    for a in range(1, amount + 1):
        options = [best[a - c] for c in coins if c <= a and best[a - c] >= 0]
        best[a] = min(options) + 1 if options else -1
    return best[amount]


# -- tests --
assert min_coins(11, [1, 2, 5]) == 3
assert min_coins(3, [2]) == -1
assert min_coins(0, [1]) == 0
assert min_coins(6, [1, 3, 4]) == 2
assert min_coins(7, [2, 5]) == 2
assert min_coins(5, []) == -1
