def string_edit_distance(a: str, b: str) -> int:
    """Return the Levenshtein distance between ``a`` and ``b``.

    That is the least number of single-character insertions, deletions and substitutions that
    turn ``a`` into ``b``.

    >>> string_edit_distance("kitten", "sitting")
    3
    """
    # -- solution --
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


# -- tests --
assert string_edit_distance("kitten", "sitting") == 3
assert string_edit_distance("", "abc") == 3
assert string_edit_distance("abc", "") == 3
assert string_edit_distance("flaw", "lawn") == 2
assert string_edit_distance("same", "same") == 0
assert string_edit_distance("ab", "ba") == 2
