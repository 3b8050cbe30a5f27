def to_roman(n: int) -> str:
    """Return the Roman numeral for ``n`` (1 <= n <= 3999), using subtractive forms like IV, IX, XL, CM.

    >>> to_roman(1994)
    'MCMXCIV'
    """
    # -- solution --
    values = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
              (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
    out = ""
    for value, letters in values:
        while n >= value:
            out += letters
            n -= value
    return out


# -- tests --
assert to_roman(1994) == "MCMXCIV"
assert to_roman(1) == "I"
assert to_roman(4) == "IV"
assert to_roman(58) == "LVIII"
assert to_roman(3999) == "MMMCMXCIX"
