def is_leap_year(year: int) -> bool:
    """Return True if ``year`` is a leap year in the Gregorian calendar.

    Years divisible by 4 are leap years, except years divisible by 100,
    which are leap years only when also divisible by 400.

    >>> is_leap_year(2024)
    True
    >>> is_leap_year(1900)
    False
    """
    # -- solution --
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


# -- tests --
assert is_leap_year(2024) is True
assert is_leap_year(1900) is False
assert is_leap_year(2000) is True
assert is_leap_year(2023) is False
assert is_leap_year(2100) is False
assert is_leap_year(1996) is True
