def celsius_to_fahrenheit(c: float) -> float:
    """Convert a temperature from degrees Celsius to degrees Fahrenheit (F = C * 9 / 5 + 32).

    >>> celsius_to_fahrenheit(100)
    212.0
    """
    # -- solution --
    return c * 9 / 5 + 32


# -- tests --
assert celsius_to_fahrenheit(100) == 212.0
assert celsius_to_fahrenheit(0) == 32.0
assert celsius_to_fahrenheit(-40) == -40.0
assert abs(celsius_to_fahrenheit(37) - 98.6) < 1e-9
assert celsius_to_fahrenheit(10) == 50.0
