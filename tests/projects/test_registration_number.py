import pytest
from django.core.exceptions import ValidationError

from projects.registration_number import (
    format_registration_number,
    normalise_registration_number,
    validate_registration_number,
)

WEIGHTS = [1, 3, 7, 1, 3, 7, 1, 3, 5]
FORMAT_MESSAGE = "A business registration number has 10 digits, e.g. 123-45-67890."
CHECK_DIGIT_MESSAGE = "This business registration number is not valid: its check digit does not match."


def with_check_digit(first_nine):
    """The test's own copy of the algorithm, so the module is checked against it."""
    digits = [int(char) for char in first_nine]
    total = sum(d * w for d, w in zip(digits, WEIGHTS, strict=True)) + (digits[8] * 5) // 10
    return first_nine + str((10 - total % 10) % 10)


def message_and_code(value):
    with pytest.raises(ValidationError) as caught:
        validate_registration_number(value)
    return str(caught.value.messages[0]), caught.value.code


# Checked by hand, e.g. 220-81-62517: 2+6+0+8+3+42+2+15+5 = 83, plus (1*5)//10 = 0, so the
# check digit is (10 - 3) % 10 = 7; and 124-81-00998: 118 plus (9*5)//10 = 4 gives 122 -> 8.
KNOWN_VALID = ["220-81-62517", "124-81-00998", "120-81-47521", "104-81-37225"]

GENERATED_VALID = [
    with_check_digit(first_nine)
    for first_nine in ["000000000", "123456789", "987654321", "314159265", "271828182", "555555555"]
]


@pytest.mark.parametrize("number", KNOWN_VALID + GENERATED_VALID)
def test_valid_numbers_pass(number):
    validate_registration_number(number)


def test_the_carry_term_matters():
    # The ninth digit 9 adds (9*5)//10 = 4: leaving it out would give check digit 2, not 8.
    validate_registration_number("1248100998")
    assert message_and_code("1248100992")[1] == "check_digit"


@pytest.mark.parametrize("number", ["220-81-62517", "220 81 62517", " 2208162517 ", "220-8162-517"])
def test_hyphens_and_spaces_are_accepted(number):
    validate_registration_number(number)
    assert normalise_registration_number(number) == "2208162517"


@pytest.mark.parametrize("number", ["220-81-62510", "2208162518", "124-81-00990", "1234567890"])
def test_wrong_check_digit_is_rejected(number):
    assert message_and_code(number) == (CHECK_DIGIT_MESSAGE, "check_digit")


@pytest.mark.parametrize(
    "number",
    [
        "220-81-6251",  # 9 digits
        "220-81-625170",  # 11 digits
        "",
        "ABC-DE-FGHIJ",
        "220-8I-62517",  # a capital i for a one
        "220.81.62517",
        "١٢٣٤٥٦٧٨٩٠",  # Arabic-Indic digits
    ],
)
def test_anything_but_ten_digits_is_a_format_error(number):
    assert message_and_code(number) == (FORMAT_MESSAGE, "format")


def test_format_writes_the_usual_hyphens():
    assert format_registration_number("1234567890") == "123-45-67890"
    assert format_registration_number("220 81 62517") == "220-81-62517"


def test_format_leaves_malformed_input_alone():
    assert format_registration_number("12345") == "12345"
