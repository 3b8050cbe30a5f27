def prime_factors(n: int) -> list[int]:
    """Return the prime factors of ``n >= 1`` in increasing order, repeated by multiplicity.

    ``prime_factors(1)`` is an empty list.

    >>> prime_factors(60)
    [2, 2, 3, 5]
    """
    # -- solution --
    out = []
    d = 2
    while d * d <= n:
        while n % d == 0:
            out.append(d)
            n //= d
        d += 1
    if n > 1:
        out.append(n)
    return out


# -- tests --
assert prime_factors(60) == [2, 2, 3, 5]
assert prime_factors(1) == []
assert prime_factors(13) == [13]
assert prime_factors(8) == [2, 2, 2]
assert prime_factors(97 * 3) == [3, 97]
assert prime_factors(100) == [2, 2, 5, 5]
