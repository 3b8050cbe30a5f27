def count_set_bits(n: int) -> int:
    """Return how many 1 bits are in the binary representation of ``n >= 0``.

    >>> count_set_bits(13)
    3
    """
    # -- solution --
    count = 0
    while n:
        count += n & 1
        n >>= 1
    return count


# -- tests --
assert count_set_bits(13) == 3
assert count_set_bits(0) == 0
assert count_set_bits(1) == 1
assert count_set_bits(8) == 1
assert count_set_bits(255) == 8
