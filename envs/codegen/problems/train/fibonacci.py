def fibonacci(n: int) -> int:
    """Return the ``n``-th Fibonacci number for ``n >= 0``, where F(0) = 0, F(1) = 1 and F(n) = F(n-1) + F(n-2).

    >>> fibonacci(10)
    55
    """
    # -- solution --
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


# -- tests --
assert fibonacci(10) == 55
assert fibonacci(0) == 0
assert fibonacci(1) == 1
assert fibonacci(2) == 1
assert fibonacci(7) == 13
assert fibonacci(30) == 832040
