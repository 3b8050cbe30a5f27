def version_compare(a: str, b: str) -> int:
    """Compare dotted version strings like "1.2.10": return -1 if ``a`` < ``b``, 0 if equal, 1 if ``a`` > ``b``.

    Parts are compared as integers from left to right; missing trailing parts count as 0.

    >>> version_compare("1.2.10", "1.10")
    -1
    """
    # -- solution --
    x = [int(p) for p in a.split(".")]
    y = [int(p) for p in b.split(".")]
    n = max(len(x), len(y))
    x += [0] * (n - len(x))
    y += [0] * (n - len(y))
    return (x > y) - (x < y)


# -- tests --
assert version_compare("1.2.10", "1.10") == -1
assert version_compare("1.0", "1") == 0
assert version_compare("2.1", "2.0.9") == 1
assert version_compare("1.2.10", "1.2.9") == 1
assert version_compare("3", "3.0.0") == 0
