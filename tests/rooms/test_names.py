"""Names people read: NFKC, invisible characters, look-alike skeletons."""

import pytest

from rooms.names import check_visible, invisible_characters, lookalike, skeleton


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Hana", "hana"),
        ("h\u0430na", "hana"),  # Cyrillic a
        ("\u0397\u0391\u039d\u0391", "hana"),  # Greek capitals
        ("ｈａｎａ", "hana"),
        ("hána", "hana"),
        ("Ivan", "lvan"),
        ("h1ana", "hlana"),
        ("rnary", "mary"),
        ("B\u043eb", "Bob"),
        ("h ana", "hana"),
    ],
)
def test_it_gives_look_alike_names_one_skeleton(one, other):
    assert skeleton(one) == skeleton(other)


@pytest.mark.parametrize(("one", "other"), [("hana", "hanna"), ("sam", "pam"), ("otto", "ottos")])
def test_it_tells_different_names_apart(one, other):
    assert skeleton(one) != skeleton(other)


def test_it_finds_the_existing_name_that_looks_alike():
    assert lookalike("HАNA", ["sam", "", "hana", "cora"]) == "hana"
    assert lookalike("nina", ["sam", "hana"]) is None
    assert lookalike("\u200b", ["hana"]) is None


@pytest.mark.parametrize(
    "char",
    ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u202a", "\u202e", "\u2066", "\u2069", "\u200e", "\u200f"]
    + ["\u00ad", "\x00", "\x1b", "\u3164", "\u2028", "\ue000"],
)
def test_it_names_every_character_that_cannot_be_seen(char):
    assert invisible_characters(f"a{char}b{char}") == [f"U+{ord(char):04X}"]
    with pytest.raises(ValueError, match="cannot be seen"):
        check_visible(f"a{char}b", "The title")


def test_it_lets_visible_text_through_in_nfkc():
    assert check_visible("Café ﬁne ½ — 東京 🎙️", "The title") == "Café fine 1⁄2 — 東京 🎙️"
