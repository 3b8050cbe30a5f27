def shift_letters(s: str, k: int) -> str:
    """Caesar-shift each letter of ``s`` by ``k`` places in the alphabet, wrapping around (``k`` may be negative).

    Letters keep their case; other characters are unchanged.

    >>> shift_letters("Hello, World!", 3)
    'Khoor, Zruog!'
    """
    # -- solution --
    out = ""
    for c in s:
        if c.isalpha():
            base = ord("A") if c.isupper() else ord("a")
            out += chr((ord(c) - base + k) % 26 + base)
        else:
            out += c
    return out


# -- tests --
assert shift_letters("Hello, World!", 3) == "Khoor, Zruog!"
assert shift_letters("", 5) == ""
assert shift_letters("xyz", 2) == "zab"
assert shift_letters("abc", -1) == "zab"
assert shift_letters("Zz 9", 27) == "Aa 9"
