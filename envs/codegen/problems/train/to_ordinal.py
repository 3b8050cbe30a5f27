def to_ordinal(n: int) -> str:
    """Return the English ordinal for the non-negative integer ``n``: 1st, 2nd, 3rd, 4th, 11th, 21st, ...

    Numbers ending in 11, 12 or 13 always take "th".

    >>> to_ordinal(22)
    '22nd'
    """
    # -- solution --
    if n % 100 in (11, 12, 13):
        return f"{n}th"
    return f"{n}" + {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


# -- tests --
assert to_ordinal(1) == "1st"
assert to_ordinal(22) == "22nd"
assert to_ordinal(3) == "3rd"
assert to_ordinal(11) == "11th"
assert to_ordinal(112) == "112th"
assert to_ordinal(101) == "101st"
assert to_ordinal(0) == "0th"
