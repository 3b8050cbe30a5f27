def tokenize_arithmetic(s: str) -> list[str]:
    """Split an arithmetic expression into tokens: non-negative integers and single characters.

    Digits next to each other form one number token; spaces are skipped; every other
    character (``+ - * / ( )``) is a token of its own.

    >>> tokenize_arithmetic("12+3*(4-5)")
    ['12', '+', '3', '*', '(', '4', '-', '5', ')']
    """
    # -- solution --
    tokens: list[str] = []
    num = ""
    for c in s:
        if c.isdigit():
            num += c
            continue
        if num:
            tokens.append(num)
            num = ""
        if c != " ":
            tokens.append(c)
    if num:
        tokens.append(num)
    return tokens


# -- tests --
assert tokenize_arithmetic("12+3*(4-5)") == ["12", "+", "3", "*", "(", "4", "-", "5", ")"]
assert tokenize_arithmetic("") == []
assert tokenize_arithmetic(" 7 ") == ["7"]
assert tokenize_arithmetic("10 / 2") == ["10", "/", "2"]
assert tokenize_arithmetic("(1)") == ["(", "1", ")"]
