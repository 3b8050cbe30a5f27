def to_pig_latin(word: str) -> str:
    """Translate the lower-case word ``word`` to Pig Latin.

    A word that starts with a vowel (a, e, i, o, u) gets "way" appended. Otherwise the leading
    consonants up to the first vowel move to the end, followed by "ay"; a word with no vowel
    just gets "ay" appended.

    >>> to_pig_latin("string")
    'ingstray'
    """
    # -- solution --
    for i, c in enumerate(word):
        if c in "aeiou":
            return word + "way" if i == 0 else word[i:] + word[:i] + "ay"
    return word + "ay"


# -- tests --
assert to_pig_latin("string") == "ingstray"
assert to_pig_latin("apple") == "appleway"
assert to_pig_latin("pig") == "igpay"
assert to_pig_latin("rhythm") == "rhythmay"
assert to_pig_latin("eat") == "eatway"
