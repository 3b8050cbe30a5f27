def wrap_words(s: str, width: int) -> list[str]:
    """Greedily wrap the whitespace-separated words of ``s`` into lines of at most ``width`` characters.

    Words on a line are joined by single spaces; each word goes on the current line if it fits,
    otherwise it starts a new line. A word longer than ``width`` gets a line of its own.
    Return [] when ``s`` has no words.

    >>> wrap_words("the quick brown fox", 10)
    ['the quick', 'brown fox']
    """
    # -- solution --
    lines: list[str] = []
    for w in s.split():
        if lines and len(lines[-1]) + 1 + len(w) <= width:
            lines[-1] += " " + w
        else:
            lines.append(w)
    return lines


# -- tests --
assert wrap_words("the quick brown fox", 10) == ["the quick", "brown fox"]
assert wrap_words("", 5) == []
assert wrap_words("a b c d", 3) == ["a b", "c d"]
assert wrap_words("extraordinary is long", 5) == ["extraordinary", "is", "long"]
assert wrap_words("one two", 7) == ["one two"]
