def value_of_roman(s: str) -> int:
    """Return the integer value of the valid Roman numeral ``s`` (letters I V X L C D M, subtractive forms allowed).

    >>> value_of_roman("MCMXCIV")
    1994
    """
    # -- solution --
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
    total = 0
    for i, c in enumerate(s):
        if i + 1 < len(s) and values[c] < values[s[i + 1]]:
            total -= values[c]
        else:
            total += values[c]
    return total


# -- tests --
assert value_of_roman("MCMXCIV") == 1994
assert value_of_roman("III") == 3
assert value_of_roman("XL") == 40
assert value_of_roman("MMXXIV") == 2024
assert value_of_roman("CDXLIV") == 444
