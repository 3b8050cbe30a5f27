def valid_brackets(s: str) -> bool:
    """Return True if the brackets ``()``, ``[]`` and ``{}`` in ``s`` are balanced and properly nested.

    Other characters are ignored; a string without brackets is balanced.

    >>> valid_brackets("{[()()]}")
    True
    """
    # -- solution --
    pairs = {")": "(", "]": "[", "}": "{"}
    stack: list[str] = []
    for c in s:
        if c in "([{":
            stack.append(c)
        elif c in pairs:
            if not stack or stack.pop() != pairs[c]:
                return False
    return not stack


# -- tests --
assert valid_brackets("{[()()]}") is True
assert valid_brackets("") is True
assert valid_brackets("(]") is False
assert valid_brackets("(()") is False
assert valid_brackets(")(") is False
assert valid_brackets("f(a[1], {b: 2})") is True
