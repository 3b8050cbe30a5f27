def primes_below(n: int) -> list[int]:
    """Return all prime numbers strictly less than ``n``, in increasing order.

    >>> primes_below(10)
    [2, 3, 5, 7]
    """
    # -- solution --
    is_p = [True] * max(n, 0)
    out = []
    for k in range(2, n):
        if is_p[k]:
            out.append(k)
            for m in range(k * k, n, k):
                is_p[m] = False
    return out


# -- tests --
assert primes_below(10) == [2, 3, 5, 7]
assert primes_below(2) == []
assert primes_below(0) == []
assert primes_below(3) == [2]
assert primes_below(30) == [2, 3, 5, 7, 11, 13, 17, 19, 23, 29]
