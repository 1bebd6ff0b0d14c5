"""Korean particles (조사) chosen by the word they follow.

Whether a word ends in a final consonant (받침) decides 은/는, 이/가, 을/를, 과/와 and (으)로:
'신청서는', '과제는' but '공모는' / '사업은'. Digits and Latin letters count as they are read
aloud in Korean ('3' 삼 → '3은', '2' 이 → '2는', 'URL' 엘 → 'URL은', 'PDF' 에프 → 'PDF는').

A message whose variable is filled in at run time marks the particle with both forms, as the
translators write it ('%(name)s은(는)'); ``resolve_particles`` then picks the right one.
"""

import re

_HANGUL_FIRST, _HANGUL_LAST = 0xAC00, 0xD7A3
_JONG_COUNT = 28
_RIEUL = 8  # the index of ㄹ among final consonants: 'ㄹ' takes 로, not 으로

# Each particle: (after a final consonant, after a vowel). 으로/로 is the one exception: a
# final ㄹ takes 로.
PARTICLES = {
    "은/는": ("은", "는"),
    "이/가": ("이", "가"),
    "을/를": ("을", "를"),
    "과/와": ("과", "와"),
    "으로/로": ("으로", "로"),
}
_ALIASES = {
    "는/은": "은/는",
    "가/이": "이/가",
    "를/을": "을/를",
    "와/과": "과/와",
    "(으)로": "으로/로",
    "로/으로": "으로/로",
}
for _name, _forms in PARTICLES.items():
    for _form in _forms:
        _ALIASES.setdefault(_form, _name)

# Digits as read (영 일 이 삼 사 오 육 칠 팔 구): the final consonant of each reading, 0 = none.
_DIGIT_JONG = {
    "0": 21,
    "1": _RIEUL,
    "2": 0,
    "3": 16,
    "4": 0,
    "5": 0,
    "6": 1,
    "7": _RIEUL,
    "8": _RIEUL,
    "9": 0,
}
# 십, 백, 천 for one, two, three trailing zeros; 만, 억, 조, 경 for each further four.
_TENS_JONG = {1: 17, 2: 1, 3: 4}
_MYRIAD_JONG = {1: 4, 2: 1, 3: 0, 4: 21}
# Latin letters as read: L 엘, M 엠, N 엔, R 알 end in a consonant; the rest (에이, 비, 씨, …) not.
_LETTER_JONG = {"l": _RIEUL, "m": 16, "n": 4, "r": _RIEUL}

_CLOSING = {")": "(", "]": "[", "}": "{", "”": "“", "’": "‘", "」": "「", "』": "『", "》": "《", "〉": "〈"}
_TRAILING_NOISE = "\"'.,!?:;·… \t\n"


class UnknownParticle(ValueError):
    pass


def _number_jong(digits):
    stripped = digits.rstrip("0")
    zeros = len(digits) - len(stripped)
    if not stripped:
        return _DIGIT_JONG["0"]
    if zeros == 0:
        return _DIGIT_JONG[stripped[-1]]
    if zeros % 4:
        return _TENS_JONG[zeros % 4]
    return _MYRIAD_JONG.get(zeros // 4)


def _last_word(text):
    """The part of ``text`` whose last sound decides the particle: quotes are looked into, a
    closing bracket group is skipped ('김민수(대표)' is read as '김민수')."""
    text = text.rstrip(_TRAILING_NOISE)
    while text and text[-1] in _CLOSING:
        opening = _CLOSING[text[-1]]
        start = text.rfind(opening)
        if opening in "“‘「『《〈":
            text = text[:-1].rstrip(_TRAILING_NOISE)  # a quotation is read as what it quotes
        elif start > 0 and text[:start].rstrip():
            text = text[:start].rstrip(_TRAILING_NOISE)  # an aside follows the word it explains
        else:
            text = text[start + 1 : -1] if start >= 0 else text[:-1]
    return text


def final_consonant(word):
    """The index (1–27) of the final consonant the word ends with when read aloud, 0 when it
    ends in a vowel, None when it cannot be told (an empty word, a symbol)."""
    text = _last_word(str(word))
    if not text:
        return None
    last = text[-1]
    code = ord(last)
    if _HANGUL_FIRST <= code <= _HANGUL_LAST:
        return (code - _HANGUL_FIRST) % _JONG_COUNT
    if last.isascii() and last.isdigit():
        digits = re.search(r"[0-9][0-9,]*$", text).group().replace(",", "")
        return _number_jong(digits)
    if last.isascii() and last.isalpha():
        return _LETTER_JONG.get(last.lower(), 0)
    return None


def particle(word, which):
    """The form of particle ``which`` ('은/는', '이/가', '을/를', '와/과', '(으)로', or either form
    alone) that follows ``word``. When the word's ending cannot be told, both forms are given the
    way a careful writer would: '은(는)'."""
    name = _ALIASES.get(which, which)
    if name not in PARTICLES:
        raise UnknownParticle(which)
    after_consonant, after_vowel = PARTICLES[name]
    jong = final_consonant(word)
    if jong is None:
        return "(으)로" if name == "으로/로" else f"{after_consonant}({after_vowel})"
    if name == "으로/로":
        return after_consonant if jong and jong != _RIEUL else after_vowel
    return after_consonant if jong else after_vowel


def with_particle(word, which):
    """``word`` followed by the right form of ``which``: with_particle('이메일 주소', '와/과')
    is '이메일 주소와'."""
    return f"{word}{particle(word, which)}"


# A particle written with both forms right after a word: 은(는), 이(가), 을(를), 와(과), (으)로,
# or a left-over slash pair (은/는, 와/과, …).
_MARKER = re.compile(
    r"(?:은\(는\)|는\(은\)|이\(가\)|가\(이\)|을\(를\)|를\(을\)|와\(과\)|과\(와\)|\(으\)로"
    r"|은/는|는/은|이/가|가/이|을/를|를/을|와/과|과/와)"
)


def _marker_name(marker):
    if marker == "(으)로":
        return "(으)로"
    first, second = re.split(r"[(/]", marker.rstrip(")"))
    return f"{first}/{second}"


def resolve_particles(text):
    """``text`` with every double-form particle ('%(name)s은(는)' once filled in) replaced by
    the form the preceding word takes. A marker whose word cannot be told is left as written."""
    if not text:
        return text
    text = str(text)
    parts = []
    position = 0
    for match in _MARKER.finditer(text):
        before = text[: match.start()]
        if not before or before[-1].isspace():
            continue
        parts.append(text[position : match.start()])
        parts.append(particle(before, _marker_name(match.group())))
        position = match.end()
    parts.append(text[position:])
    return "".join(parts)
