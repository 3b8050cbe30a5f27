def time_to_minutes(s: str) -> int:
    """Return the number of minutes after midnight for a 24-hour time "HH:MM".

    >>> time_to_minutes("01:30")
    90
    """
    # -- solution --
    hours, minutes = s.split(":")
    return int(hours) * 60 + int(minutes)


# -- tests --
assert time_to_minutes("01:30") == 90
assert time_to_minutes("00:00") == 0
assert time_to_minutes("23:59") == 1439
assert time_to_minutes("12:05") == 725
