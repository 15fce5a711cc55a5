"""An SMS's length in segments: GSM-7 (160, or 153 a part) or UCS-2 (70, or 67 a part)."""

import pytest

from comms.messages import SmsLength, sms_length, sms_segments


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a" * 160, SmsLength("GSM-7", 160, 1)),
        ("a" * 161, SmsLength("GSM-7", 161, 2)),
        ("a" * 306, SmsLength("GSM-7", 306, 2)),
        ("a" * 307, SmsLength("GSM-7", 307, 3)),
        ("Ç@£$¥èéùìòØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¡ÄÖÑÜ§¿äöñüà\n", SmsLength("GSM-7", 42, 1)),
    ],
)
def test_gsm7_counts_septets(text, expected):
    assert sms_length(text) == expected


def test_gsm7_extension_characters_count_twice():
    assert sms_length("{" * 80) == SmsLength("GSM-7", 160, 1)
    assert sms_length("€" * 81) == SmsLength("GSM-7", 162, 2)
    assert sms_length("^{}\\[~]|€\f").units == 20


def test_an_extension_character_is_not_split_between_parts():
    # 152 septets, then the euro's two would straddle the 153rd: it starts part two, which the 77th overflows.
    assert sms_length("a" * 152 + "€" * 77) == SmsLength("GSM-7", 306, 3)
    assert sms_length("a" * 151 + "€" * 77) == SmsLength("GSM-7", 305, 2)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ç" * 70, SmsLength("UCS-2", 70, 1)),
        ("ç" * 71, SmsLength("UCS-2", 71, 2)),
        ("ç" * 134, SmsLength("UCS-2", 134, 2)),
        ("ç" * 135, SmsLength("UCS-2", 135, 3)),
        ("a" * 69 + "ç", SmsLength("UCS-2", 70, 1)),
        ("a" * 70 + "ç", SmsLength("UCS-2", 71, 2)),
        ("Привет", SmsLength("UCS-2", 6, 1)),
    ],
)
def test_one_character_outside_gsm7_makes_it_ucs2(text, expected):
    assert sms_length(text) == expected


def test_an_emoji_takes_two_utf16_units_and_is_not_split():
    assert sms_length("😀" * 35) == SmsLength("UCS-2", 70, 1)
    assert sms_length("😀" * 36) == SmsLength("UCS-2", 72, 2)
    # 66 units, then the emoji's surrogate pair would straddle the 67th: it starts part two.
    assert sms_length("a" * 66 + "😀" * 34) == SmsLength("UCS-2", 134, 3)
    assert sms_length("a" * 65 + "😀" * 34) == SmsLength("UCS-2", 133, 2)


def test_sms_segments_gives_the_encoding_and_the_count():
    assert sms_segments("Hello") == ("GSM-7", 1)
    assert sms_segments("Hello 👋") == ("UCS-2", 1)
