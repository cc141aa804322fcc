from __future__ import annotations

from typing import Any

import factory
from allauth.account.models import EmailAddress
from factory.django import DjangoModelFactory

from gigcx.models import User
from marketplace.models import (
    Brand,
    BrandMembership,
    Category,
    Expert,
    ExpertProfile,
    ExpertSkill,
    Product,
)

PASSWORD = "correct-horse-battery"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(self, create: bool, extracted: bool | None, **kwargs: Any) -> None:
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, primary=True, verified=True)
        if create:
            self.save()


class BrandFactory(DjangoModelFactory):
    class Meta:
        model = Brand
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Brand {n}")
    slug = factory.Sequence(lambda n: f"brand-{n}")
    languages = factory.LazyFunction(lambda: ["en"])


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = BrandMembership

    brand = factory.SubFactory(BrandFactory)
    user = factory.SubFactory(UserFactory)
    role = BrandMembership.Role.OWNER


class CategoryFactory(DjangoModelFactory):
    class Meta:
        model = Category

    brand = factory.SubFactory(BrandFactory)
    name = factory.Sequence(lambda n: f"Category {n}")


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = Product

    brand = factory.SubFactory(BrandFactory)
    category = factory.SubFactory(CategoryFactory, brand=factory.SelfAttribute("..brand"))
    name = factory.Sequence(lambda n: f"Trail Shoe {n}")


class ExpertProfileFactory(DjangoModelFactory):
    class Meta:
        model = ExpertProfile

    user = factory.SubFactory(UserFactory)
    display_name = factory.Faker("name")
    languages = factory.LazyFunction(lambda: ["en"])


class ExpertFactory(DjangoModelFactory):
    class Meta:
        model = Expert

    brand = factory.SubFactory(BrandFactory)
    user = factory.SubFactory(UserFactory)
    status = Expert.Status.APPROVED


class ExpertSkillFactory(DjangoModelFactory):
    class Meta:
        model = ExpertSkill

    expert = factory.SubFactory(ExpertFactory)
    product = factory.SubFactory(ProductFactory, brand=factory.SelfAttribute("..expert.brand"))
    level = 4
