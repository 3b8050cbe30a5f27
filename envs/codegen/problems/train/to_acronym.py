def to_acronym(s: str) -> str:
    """Return the upper-case first letters of the whitespace-separated words of ``s``.

    >>> to_acronym("portable network graphics")
    'PNG'
    """
    # -- solution --
    return "".join(w[0].upper() for w in s.split())


# -- tests --
assert to_acronym("portable network graphics") == "PNG"
assert to_acronym("") == ""
assert to_acronym("  as  soon as   possible ") == "ASAP"
assert to_acronym("Python") == "P"
