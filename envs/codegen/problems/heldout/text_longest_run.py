def text_longest_run(s: str) -> tuple[str, int]:
    """Return (character, length) for the longest run of one repeated character in ``s``.

    On a tie the earliest run wins; return ("", 0) for "".

    >>> text_longest_run("aabbbcc")
    ('b', 3)
    """
    # -- solution --
    best, run, prev = ("", 0), 0, ""
    for c in s:
        run = run + 1 if c == prev else 1
        prev = c
        if run > best[1]:
            best = (c, run)
    return best


# -- tests --
assert text_longest_run("aabbbcc") == ("b", 3)
assert text_longest_run("") == ("", 0)
assert text_longest_run("abc") == ("a", 1)
assert text_longest_run("aabb") == ("a", 2)
assert text_longest_run("xyyy") == ("y", 3)
