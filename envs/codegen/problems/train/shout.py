def shout(s: str) -> str:
    """Return ``s`` in upper case followed by one exclamation mark.

    >>> shout("hi there")
    'HI THERE!'
    """
    # -- solution --
    return s.upper() + "!"


# -- tests --
assert shout("hi there") == "HI THERE!"
assert shout("") == "!"
assert shout("OK") == "OK!"
assert shout("go 2day") == "GO 2DAY!"
