"""The error pages (config/errors.py): 400, 403, 404, 429 and 500 in the KRDS layout, in the
user's language, with the way back home, as production (DEBUG off) serves them; the 500 page
needs neither the database nor a context processor; the favicon exists and is linked."""

import pytest
from django.contrib.staticfiles import finders
from django.test import Client, RequestFactory

from accounts.throttling import signup_refused
from config import errors

pytestmark = pytest.mark.urls("tests.error_urls")

KRDS_LAYOUT = 'id="krds-header"'
HOME_LINK = 'href="/"'

# Each status: a path that produces it, and a phrase of its page in English and Korean.
CASES = {
    400: ("/test-errors/bad/", "The request could not be understood", "요청을 처리할 수 없습니다"),
    403: ("/test-errors/forbidden/", "You may not open this page", "이 화면을 열 권한이 없습니다"),
    404: ("/no-such-page/", "Page not found", "화면을 찾을 수 없습니다"),
    500: ("/test-errors/boom/", "Something went wrong", "일시적인 오류가 발생했습니다"),
}


@pytest.fixture
def production(settings):
    settings.DEBUG = False


def browser(language):
    return Client(headers={"accept-language": language}, raise_request_exception=False)


@pytest.mark.django_db
@pytest.mark.parametrize("status", sorted(CASES))
@pytest.mark.parametrize("language", ["en", "ko"])
def test_each_error_renders_the_krds_page_in_the_users_language(production, status, language):
    url, english, korean = CASES[status]
    response = browser(language).get(url)
    page = response.content.decode()
    assert response.status_code == status
    assert KRDS_LAYOUT in page and 'class="krds-btn primary large"' in page
    assert f'<html lang="{language}">' in page
    assert (english if language == "en" else korean) in page
    assert (korean if language == "en" else english) not in page
    assert HOME_LINK in page  # the way back
    assert 'rel="icon"' in page


@pytest.mark.django_db
def test_403_and_404_say_why(production):
    forbidden = browser("en").get("/test-errors/forbidden/").content.decode()
    assert "You are not logged in" in forbidden and "/accounts/login/?next=" in forbidden
    missing = browser("ko").get("/no-such-page/").content.decode()
    assert "주소가 잘못 입력되었거나" in missing


@pytest.mark.django_db
def test_a_logged_in_person_refused_is_told_which_account_they_use(production, applicant_user):
    client = browser("en")
    client.force_login(applicant_user)
    page = client.get("/test-errors/forbidden/").content.decode()
    assert f"You are logged in as {applicant_user.email}" in page


@pytest.mark.django_db
def test_a_nul_character_gets_the_krds_400_page(production):
    response = browser("ko").get("/", {"call": "\x00"})
    assert response.status_code == 400
    page = response.content.decode()
    assert KRDS_LAYOUT in page and "요청을 처리할 수 없습니다" in page


@pytest.mark.django_db
def test_an_expired_csrf_token_gets_the_krds_403_page(production):
    client = Client(headers={"accept-language": "ko"}, enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "a@b.kr", "password": "x"})
    assert response.status_code == 403
    page = response.content.decode()
    assert KRDS_LAYOUT in page and "양식의 유효 시간이 지났습니다" in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "phrase"), [("en", "Sign-up temporarily blocked"), ("ko", "회원 가입 일시 제한")]
)
def test_a_throttled_request_gets_the_krds_429_page(production, language, phrase):
    from django.utils import translation

    with translation.override(language):
        response = signup_refused(RequestFactory().post("/accounts/signup/"))
    page = response.content.decode()
    assert response.status_code == 429
    assert KRDS_LAYOUT in page and phrase in page and "429" in page


def test_the_500_page_needs_no_database(production):
    """No django_db mark: any query would fail the test."""
    response = errors.server_error(RequestFactory().get("/"))
    page = response.content.decode()
    assert response.status_code == 500
    assert KRDS_LAYOUT in page and "Something went wrong" in page and HOME_LINK in page


def test_the_500_page_runs_no_context_processor(production, settings):
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "OPTIONS": {
                **settings.TEMPLATES[0]["OPTIONS"],
                "context_processors": ["tests.test_error_pages.broken_processor"],
            },
        }
    ]
    response = errors.server_error(RequestFactory().get("/"))
    assert response.status_code == 500 and b"krds-header" in response.content


def broken_processor(request):
    raise RuntimeError("a context processor that needs what is broken")


def test_the_500_handler_falls_back_to_a_bare_page_when_its_template_fails(production):
    response = errors.server_error(RequestFactory().get("/"), template_name="no-such-template.html")
    assert response.status_code == 500
    assert "일시적인 오류가 발생했습니다" in response.content.decode()


@pytest.mark.django_db
def test_the_favicon_exists_and_its_old_address_leads_to_it(production):
    assert finders.find("gongmo/favicon.svg")
    response = browser("en").get("/favicon.ico")
    assert response.status_code == 302 and response["Location"].endswith("gongmo/favicon.svg")
