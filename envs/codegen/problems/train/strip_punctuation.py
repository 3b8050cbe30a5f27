import string


def strip_punctuation(s: str) -> str:
    """Return ``s`` with every ASCII punctuation character (those in ``string.punctuation``) removed.

    >>> strip_punctuation("Hi, there! (ok)")
    'Hi there ok'
    """
    # -- solution --
    return "".join(c for c in s if c not in string.punctuation)


# -- tests --
assert strip_punctuation("Hi, there! (ok)") == "Hi there ok"
assert strip_punctuation("") == ""
assert strip_punctuation("...") == ""
assert strip_punctuation("don't-stop") == "dontstop"
assert strip_punctuation("plain text 42") == "plain text 42"
