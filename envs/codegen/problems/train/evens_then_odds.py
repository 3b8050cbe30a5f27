def evens_then_odds(xs: list[int]) -> list[int]:
    """Return the even numbers of ``xs`` followed by the odd ones, each group in its original order.

    >>> evens_then_odds([3, 2, 5, 4, 6])
    [2, 4, 6, 3, 5]
    """
    # -- solution --
    return [x for x in xs if x % 2 == 0] + [x for x in xs if x % 2 != 0]


# -- tests --
assert evens_then_odds([3, 2, 5, 4, 6]) == [2, 4, 6, 3, 5]
assert evens_then_odds([]) == []
assert evens_then_odds([1, 3]) == [1, 3]
assert evens_then_odds([0, -1, -2]) == [0, -2, -1]
