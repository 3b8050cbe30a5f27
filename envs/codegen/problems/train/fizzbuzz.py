def fizzbuzz(n: int) -> str:
    """Return "FizzBuzz" if ``n`` is divisible by both 3 and 5, "Fizz" if only by 3,
    "Buzz" if only by 5, and otherwise ``n`` written in decimal.

    >>> fizzbuzz(9)
    'Fizz'
    >>> fizzbuzz(7)
    '7'
    """
    # -- solution --
    if n % 15 == 0:
        return "FizzBuzz"
    if n % 3 == 0:
        return "Fizz"
    if n % 5 == 0:
        return "Buzz"
    return str(n)


# -- tests --
assert fizzbuzz(9) == "Fizz"
assert fizzbuzz(7) == "7"
assert fizzbuzz(10) == "Buzz"
assert fizzbuzz(30) == "FizzBuzz"
assert fizzbuzz(1) == "1"
assert fizzbuzz(0) == "FizzBuzz"
