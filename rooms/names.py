"""Names people read: usernames, display names, space titles.

Each is normalised to NFKC (so "ｈａｎａ" and "hana" are one name) and refused when it holds
characters nobody can see (zero-width, bidi controls and the rest of Unicode's format
category, controls, blank "letters"): they let two names that look alike differ, or make a
title read backwards. A username or display name is also refused when it looks like someone
else's: its skeleton (case folded, accents dropped, look-alike letters from other scripts
mapped to Latin, after Unicode TR39's idea) equals theirs.
"""

import unicodedata

# Characters that are letters or symbols to Unicode yet print as nothing.
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f\u17b4\u17b5")
# Categories refused outright: controls, format characters (zero-width, bidi, U+FEFF, U+2060),
# unassigned, private use, surrogates, line and paragraph separators.
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cn", "Co", "Cs", "Zl", "Zp"})

# Letters of other scripts that print like Latin ones: before case folding (capitals) ...
_CAPITALS = str.maketrans(
    "АВЕКМНОРСТХЅІЈԌԚԜΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "ABEKMHOPCTXSIJGQWABEZHIKMNOPTYX",
)
# ... and after (small letters, and a digit that passes for a letter) ...
_SMALL = str.maketrans(
    "аеорсухіјѕԁһӏԛԝвкмнтгαοριυνχκτεηβɡɑ0",
    "aeopcyxijsdhlqwbkmhtraopiuvxktenbgao",
)
# ... then the strokes: a capital I, a small l, a one and a bar are one shape.
_STROKES = str.maketrans("l1|ı", "iiii")
# Pairs of letters that together pass for one.
_RUNS = (("rn", "m"), ("vv", "w"), ("cl", "d"))


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def invisible_characters(text: str) -> list[str]:
    """The characters of `text` that print as nothing, as U+XXXX, in order, once each."""
    found = []
    for char in text:
        if (unicodedata.category(char) in REFUSED_CATEGORIES or char in BLANK_LETTERS) and char not in found:
            found.append(char)
    return [f"U+{ord(char):04X}" for char in found]


def check_visible(text: str, what: str) -> str:
    """`text` in NFKC; ValueError naming the invisible characters when it holds any."""
    text = normalise(text)
    hidden = invisible_characters(text)
    if hidden:
        raise ValueError(f"{what} contains characters that cannot be seen ({', '.join(hidden)}): remove them.")
    return text


def skeleton(name: str) -> str:
    """What `name` looks like: two names with one skeleton are easily taken for each other."""
    text = normalise(name).translate(_CAPITALS).casefold()
    # Drop accents: "hána" passes for "hana".
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    text = text.translate(_SMALL)
    for run, letter in _RUNS:
        text = text.replace(run, letter)
    return "".join(text.translate(_STROKES).split())


def lookalike(name: str, existing) -> str | None:
    """The first of the `existing` names that looks like `name`, or None."""
    target = skeleton(name)
    if not target:
        return None
    return next((other for other in existing if other and skeleton(other) == target), None)


def shown_name(user) -> str:
    """What a person is called where others read it: the display name, else the username."""
    return (user.first_name or "").strip() or user.username
