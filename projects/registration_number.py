"""Korean business registration numbers (사업자등록번호): ten digits written 123-45-67890.

Applicants type them with or without hyphens and spaces, so we normalise before checking and
store the bare digits; the last digit is a check digit, which catches most typing mistakes
before a wrong organisation ends up on an application.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# The National Tax Service weights for the first nine digits.
_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)


def normalise_registration_number(value: str) -> str:
    """'123-45-67890' or ' 123 45 67890 ' -> '1234567890'. Other characters are kept, so that
    validation rejects them rather than silently dropping them."""
    return str(value).strip().replace("-", "").replace(" ", "")


def _is_ten_digits(digits: str) -> bool:
    # isdigit() alone would accept other scripts' digits, such as '١'.
    return len(digits) == 10 and digits.isascii() and digits.isdigit()


def check_digit(first_nine: str) -> int:
    """The check digit for the first nine digits: the weighted sum plus the tens digit of
    (ninth digit × 5), taken from the next multiple of ten."""
    digits = [int(char) for char in first_nine]
    total = sum(digit * weight for digit, weight in zip(digits, _WEIGHTS, strict=True))
    total += (digits[8] * 5) // 10
    return (10 - total % 10) % 10


def validate_registration_number(value: str) -> None:
    """Django validator: ten digits (hyphens and spaces allowed) with a matching check digit."""
    digits = normalise_registration_number(value)
    if not _is_ten_digits(digits):
        raise ValidationError(
            _("A business registration number has 10 digits, e.g. 123-45-67890."), code="format"
        )
    if check_digit(digits[:9]) != int(digits[9]):
        raise ValidationError(
            _("This business registration number is not valid: its check digit does not match."),
            code="check_digit",
        )


def format_registration_number(value: str) -> str:
    """'1234567890' -> '123-45-67890', the way the number is printed on certificates.
    Anything that is not ten digits after normalising is returned unchanged."""
    digits = normalise_registration_number(value)
    if not _is_ten_digits(digits):
        return value
    return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}"
