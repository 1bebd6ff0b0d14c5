"""Korean particles chosen by the word they follow (config/korean.py), and the messages the
issue found broken: the log-in refusal, the '(한국시간))' double bracket, particles after
variables."""

import pytest
from django.template import Context, Template
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from config.korean import UnknownParticle, final_consonant, particle, resolve_particles, with_particle
from tests.factories import UserFactory

# Every precomposed Hangul syllable: 가 (U+AC00) … 힣 (U+D7A3).
syllables = st.integers(min_value=0xAC00, max_value=0xD7A3).map(chr)
words = st.builds(lambda head, last: head + last, st.text(alphabet="가나다 라마", max_size=5), syllables)
PAIRS = [("은/는", "은", "는"), ("이/가", "이", "가"), ("을/를", "을", "를"), ("와/과", "과", "와")]


def has_batchim(syllable):
    """The rule's own statement: a syllable is 0xAC00 + (initial × 21 + medial) × 28 + final."""
    return (ord(syllable) - 0xAC00) % 28 != 0


@given(words, st.sampled_from(PAIRS))
def test_the_particle_follows_the_final_consonant_of_the_last_syllable(word, pair):
    which, after_consonant, after_vowel = pair
    expected = after_consonant if has_batchim(word[-1]) else after_vowel
    assert particle(word, which) == expected
    assert with_particle(word, which) == word + expected


@given(words)
def test_euro_ro_takes_ro_after_a_vowel_or_rieul(word):
    final = (ord(word[-1]) - 0xAC00) % 28
    assert particle(word, "(으)로") == ("로" if final in (0, 8) else "으로")


@given(words, st.sampled_from(PAIRS))
def test_either_order_of_the_pair_and_the_marker_give_the_same_choice(word, pair):
    which, after_consonant, after_vowel = pair
    assert particle(word, f"{after_vowel}/{after_consonant}") == particle(word, which)
    marker = f"{after_consonant}({after_vowel})" if which != "와/과" else "와(과)"
    assert resolve_particles(f"{word}{marker} 끝") == f"{word}{particle(word, which)} 끝"


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("0", "은"),  # 영
        ("1", "은"),  # 일
        ("2", "는"),  # 이
        ("3", "은"),  # 삼
        ("5", "는"),  # 오
        ("6", "은"),  # 육
        ("9", "는"),  # 구
        ("10", "은"),  # 십
        ("20", "은"),  # 이십
        ("100", "은"),  # 백
        ("1,000", "은"),  # 천
        ("10000", "은"),  # 만
        ("100000000", "은"),  # 억
        ("1000000000000", "는"),  # 조
        ("12", "는"),  # 십이
        ("URL", "은"),  # 엘
        ("PDF", "는"),  # 에프
        ("SMS", "는"),  # 에스
        ("KRDS", "는"),
        ("team", "은"),  # 엠
        ("3,000,000원", "은"),
        ("김민수(대표)", "는"),  # the particle agrees with the word before the aside
        ("“신청서”", "는"),  # a quotation is read as what it quotes
        ("사업.", "은"),
    ],
)
def test_digits_letters_and_punctuation_are_read_as_spoken(word, expected):
    assert particle(word, "은/는") == expected


def test_a_word_whose_ending_cannot_be_told_gets_both_forms():
    assert final_consonant("#") is None
    assert particle("#", "이/가") == "이(가)"
    assert particle("", "(으)로") == "(으)로"
    with pytest.raises(UnknownParticle):
        particle("사업", "의/에")


def test_resolving_markers_in_a_filled_in_message():
    message = "평가위원 김민수은(는) 신청서 2026-0012와(과) 이해충돌이 있습니다. 홍길동이(가) test@x.kr(으)로 보냈습니다."
    assert resolve_particles(message) == (
        "평가위원 김민수는 신청서 2026-0012와 이해충돌이 있습니다. 홍길동이 test@x.kr로 보냈습니다."
    )
    assert resolve_particles("1,000원와/과 비밀번호") == "1,000원과 비밀번호"
    assert resolve_particles("은(는) 앞에 낱말이 없으면") == "은(는) 앞에 낱말이 없으면"


def test_the_template_filters():
    rendered = Template('{% load korean %}{{ name|particle:"이/가" }} · {{ message|particles }}').render(
        Context({"name": "공모", "message": "사업은(는) <끝>"})
    )
    assert rendered == "공모가 · 사업은 &lt;끝&gt;"


@pytest.mark.django_db
def test_the_login_refusal_reads_as_korean(client, role_groups):
    UserFactory(email="kim@gongmo.example")
    response = client.post(
        reverse("accounts:login"),
        {"username": "kim@gongmo.example", "password": "wrong-password"},
        headers={"accept-language": "ko"},
    )
    page = response.content.decode()
    assert "이메일 주소 또는 비밀번호가 올바르지 않습니다" in page
    assert "와/과" not in page


@pytest.mark.django_db
def test_a_time_in_brackets_has_one_closing_bracket():
    from datetime import UTC, datetime

    from django.utils import translation

    from competitions.formatting import format_seoul

    with translation.override("ko"):
        text = f"({format_seoul(datetime(2026, 3, 14, 8, 0, tzinfo=UTC))})"
    assert text == "(한국시간 2026-03-14 17:00)"
    assert "))" not in text
