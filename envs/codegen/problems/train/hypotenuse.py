import math


def hypotenuse(a: float, b: float) -> float:
    """Return the length of the hypotenuse of a right triangle with legs ``a`` and ``b``.

    >>> hypotenuse(3, 4)
    5.0
    """
    # -- solution --
    return math.sqrt(a * a + b * b)


# -- tests --
assert hypotenuse(3, 4) == 5.0
assert hypotenuse(5, 12) == 13.0
assert hypotenuse(0, 0) == 0.0
assert hypotenuse(0, 7) == 7.0
assert abs(hypotenuse(1, 1) - 1.4142135623730951) < 1e-9
