def words_by_first_letter(words: list[str]) -> dict[str, list[str]]:
    """Group ``words`` by their first character: map each first character to its words, in input order.

    Empty strings are skipped.

    >>> words_by_first_letter(["apple", "bean", "avocado"])
    {'a': ['apple', 'avocado'], 'b': ['bean']}
    """
    # -- solution --
    groups: dict[str, list[str]] = {}
    for w in words:
        if w:
            groups.setdefault(w[0], []).append(w)
    return groups


# -- tests --
assert words_by_first_letter(["apple", "bean", "avocado"]) == {"a": ["apple", "avocado"], "b": ["bean"]}
assert words_by_first_letter([]) == {}
assert words_by_first_letter(["", "x"]) == {"x": ["x"]}
assert words_by_first_letter(["Bob", "bob"]) == {"B": ["Bob"], "b": ["bob"]}
