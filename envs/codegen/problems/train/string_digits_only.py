def string_digits_only(s: str) -> str:
    """Return only the decimal digit characters of ``s``, in their original order.

    >>> string_digits_only("a1b22c3")
    '1223'
    """
    # -- solution --
    return "".join(c for c in s if c.isdigit())


# -- tests --
assert string_digits_only("a1b22c3") == "1223"
assert string_digits_only("") == ""
assert string_digits_only("no digits") == ""
assert string_digits_only("(555) 010-9999") == "5550109999"
