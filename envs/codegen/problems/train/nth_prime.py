def nth_prime(n: int) -> int:
    """Return the ``n``-th prime number, counting from ``n = 1`` (the first prime is 2).

    >>> nth_prime(1)
    2
    >>> nth_prime(5)
    11
    """
    # -- solution --
    count = 0
    k = 1
    while count < n:
        k += 1
        if all(k % d for d in range(2, int(k ** 0.5) + 1)):
            count += 1
    return k


# -- tests --
assert nth_prime(1) == 2
assert nth_prime(5) == 11
assert nth_prime(2) == 3
assert nth_prime(10) == 29
assert nth_prime(25) == 97
