def digital_root(n: int) -> int:
    """Repeatedly replace ``n >= 0`` by the sum of its decimal digits until one digit is left; return it.

    >>> digital_root(9875)
    2
    """
    # -- solution --
    while n >= 10:
        n = sum(int(d) for d in str(n))
    return n


# -- tests --
assert digital_root(9875) == 2
assert digital_root(0) == 0
assert digital_root(7) == 7
assert digital_root(10) == 1
assert digital_root(99) == 9
assert digital_root(123456) == 3
