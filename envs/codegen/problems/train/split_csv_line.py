def split_csv_line(line: str) -> list[str]:
    """Split one CSV line into fields at commas, except commas inside double quotes.

    The double-quote characters themselves are removed (there are no escaped quotes).
    An empty line is one empty field.

    >>> split_csv_line('a,"b,c",d')
    ['a', 'b,c', 'd']
    """
    # -- solution --
    fields: list[str] = []
    field, quoted = "", False
    for c in line:
        if c == '"':
            quoted = not quoted
        elif c == "," and not quoted:
            fields.append(field)
            field = ""
        else:
            field += c
    fields.append(field)
    return fields


# -- tests --
assert split_csv_line('a,"b,c",d') == ["a", "b,c", "d"]
assert split_csv_line("") == [""]
assert split_csv_line("a,,b") == ["a", "", "b"]
assert split_csv_line("x,") == ["x", ""]
assert split_csv_line('"1,2,3"') == ["1,2,3"]
