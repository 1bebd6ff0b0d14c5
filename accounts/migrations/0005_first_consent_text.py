"""The first personal-data consent text (version 1), in force from the start: every sign-up ticks
it, and people who signed up before it existed are asked at their next log-in."""

from datetime import datetime, timezone

from django.db import migrations

TEXT_KO = """개인정보 수집·이용 동의

1. 수집 항목: 이메일 주소, 이름, 비밀번호(암호화하여 저장), 로그인·동의 기록(일시, IP 주소)
2. 수집·이용 목적: 회원 식별과 로그인, 공모 신청·접수·평가·선정 결과의 통지, 선정 과제의 협약·지원금 관리와 감사
3. 보유·이용 기간: 회원 탈퇴 시까지. 다만 신청과 지원금에 관한 기록은 관계 법령(보조금 관리에 관한 법률 등)이 정한 기간 동안 보관합니다.
4. 동의를 거부할 권리: 동의를 거부할 수 있습니다. 다만 거부하면 회원 가입과 공모 신청을 할 수 없습니다."""

TEXT_EN = """Consent to the collection and use of personal data

1. What is collected: e-mail address, name, password (stored hashed), records of log-ins and consents (time, IP address).
2. Why: to identify you and let you log in; to receive, evaluate and announce the results of applications; to manage and audit the agreements and subsidies of selected projects.
3. For how long: until you close your account; records of applications and subsidies are kept for the periods the law requires (e.g. the Subsidy Management Act).
4. Your right to refuse: you may refuse; without consent you cannot sign up or apply."""


def add_first_text(apps, schema_editor):
    ConsentText = apps.get_model("accounts", "ConsentText")
    ConsentText.objects.get_or_create(
        version="1",
        defaults={
            "text_ko": TEXT_KO,
            "text_en": TEXT_EN,
            "effective_at": datetime(2026, 1, 1, tzinfo=timezone.utc),
        },
    )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_personal_data_consent")]

    operations = [migrations.RunPython(add_first_text, migrations.RunPython.noop)]
