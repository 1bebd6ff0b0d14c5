from datetime import timedelta

import factory
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role, group_for
from competitions.models import Call, CallState, Programme, ServiceField, Track


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@gongmo.example")
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for role in extracted or []:
            self.groups.add(group_for(role))


class StaffFactory(UserFactory):
    is_staff = True

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for role in extracted or [Role.STAFF]:
            self.groups.add(group_for(role))


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Programme
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"programme-{n}")
    name = factory.Sequence(lambda n: f"Programme {n}")
    name_ko = factory.Sequence(lambda n: f"사업 {n}")


class CallFactory(factory.django.DjangoModelFactory):
    """A valid call; ``state`` may be given because the protected field accepts its first value."""

    class Meta:
        model = Call

    programme = factory.SubFactory(ProgrammeFactory)
    slug = factory.Sequence(lambda n: f"call-{n}")
    title = factory.Sequence(lambda n: f"Call {n}")
    title_ko = factory.Sequence(lambda n: f"공모 {n}")
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=10))
    budget_total = 3_790_000_000
    max_awards = 14
    subsidy_min = 50_000_000
    subsidy_max = 300_000_000
    state = CallState.DRAFT


class TrackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Track

    call = factory.SubFactory(CallFactory)
    name = factory.Sequence(lambda n: f"Track {n}")
    max_awards = 5


class ServiceFieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceField

    call = factory.SubFactory(CallFactory)
    name = factory.Sequence(lambda n: f"Field {n}")
    max_awards = 4
