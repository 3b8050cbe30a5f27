def url_query_params(s: str) -> dict[str, str]:
    """Parse a URL query string such as "a=1&b=two" into a dict of strings.

    Pairs are separated by ``&``; the key ends at the first ``=``. A pair without ``=`` maps to
    "", empty pairs are skipped, and a repeated key keeps its last value.

    >>> url_query_params("a=1&b=two")
    {'a': '1', 'b': 'two'}
    """
    # -- solution --
    params: dict[str, str] = {}
    for part in s.split("&"):
        if part:
            key, _, value = part.partition("=")
            params[key] = value
    return params


# -- tests --
assert url_query_params("a=1&b=two") == {"a": "1", "b": "two"}
assert url_query_params("") == {}
assert url_query_params("a=1&a=2") == {"a": "2"}
assert url_query_params("flag&x=") == {"flag": "", "x": ""}
assert url_query_params("eq=a=b&&z=0") == {"eq": "a=b", "z": "0"}
