"""How money and time read to people: integer won with thousand separators (and, in Korean,
the 억/만 원 reading), and times in Asia/Seoul whatever the server's zone."""

from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

SEOUL = ZoneInfo("Asia/Seoul")

# Korean counts in groups of four digits: 만 (10^4), 억 (10^8), 조 (10^12), 경 (10^16).
_KOREAN_UNITS = [(10**16, "경"), (10**12, "조"), (10**8, "억"), (10**4, "만")]


def korean_reading(amount):
    """3,790,000,000 -> '37억 9,000만 원'; 50,000,000 -> '5,000만 원'; 0 -> '0 원'."""
    amount = int(amount)
    sign = "-" if amount < 0 else ""
    rest = abs(amount)
    parts = []
    for unit_value, unit_name in _KOREAN_UNITS:
        count, rest = divmod(rest, unit_value)
        if count:
            parts.append(f"{count:,}{unit_name}")
    if rest or not parts:
        parts.append(f"{rest:,}")
    return f"{sign}{' '.join(parts)} 원"


def format_krw(amount):
    """An amount of won with thousand separators in the active language: '3,790,000,000 KRW'."""
    if amount is None:
        return ""
    return _("%(amount)s KRW") % {"amount": f"{int(amount):,}"}


def format_krw_long(amount):
    """As format_krw, followed in Korean by the 억/만 원 reading."""
    if amount is None:
        return ""
    text = format_krw(amount)
    if (get_language() or "").startswith("ko") and abs(int(amount)) >= 10**4:
        text = f"{text} ({korean_reading(amount)})"
    return text


def to_seoul(value):
    if timezone.is_naive(value):
        value = timezone.make_aware(value, SEOUL)
    return value.astimezone(SEOUL)


def format_seoul(value):
    """'2022-03-25 17:00 KST' (Asia/Seoul), whatever the zone of the stored value."""
    if value is None:
        return ""
    return _("%(datetime)s KST") % {"datetime": to_seoul(value).strftime("%Y-%m-%d %H:%M")}
