def vigenere_encrypt(text: str, key: str) -> str:
    """Encrypt the lower-case letters ``text`` with the non-empty lower-case ``key`` (Vigenère cipher).

    Letter ``text[i]`` is shifted forward, wrapping around, by the alphabet position of
    ``key[i % len(key)]`` (a = 0, b = 1, ..., z = 25).

    >>> vigenere_encrypt("abc", "b")
    'bcd'
    """
    # -- solution --
    return "".join(
        chr((ord(c) + ord(key[i % len(key)]) - 2 * ord("a")) % 26 + ord("a"))
        for i, c in enumerate(text)
    )


# -- tests --
assert vigenere_encrypt("abc", "b") == "bcd"
assert vigenere_encrypt("", "key") == ""
assert vigenere_encrypt("zz", "b") == "aa"
assert vigenere_encrypt("hello", "a") == "hello"
assert vigenere_encrypt("attackatdawn", "lemon") == "lxfopvefrnhr"
