"""Create the demo cast through the services. Safe to run again: finds rows by natural keys."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.module_loading import import_string

from gigcx.accounts import user_get_or_create, user_totp_enrol
from marketplace import demo, services
from marketplace.models import Application, Brand, Category, Expert, Invitation, Product, Quiz


class Command(BaseCommand):
    help = "Create the demo brand Acme Outdoors with its catalogue, staff, experts and customers."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.GIGCX_ALLOW_DEMO_DATA:
            raise CommandError(
                "Refusing to seed the demo data: DEBUG is off, so this looks like a production "
                "site, and the demo accounts have a published password. Set "
                "GIGCX_ALLOW_DEMO_DATA=true if this really is a demo or staging site."
            )
        created: list[str] = []
        with transaction.atomic():
            self._seed(created)
        if created:
            self.stdout.write(self.style.SUCCESS(f"Created {len(created)} demo rows:"))
            for line in created:
                self.stdout.write(f"  + {line}")
        else:
            self.stdout.write("Demo data already present; nothing to do.")
        self.stdout.write(f"Demo logins (password '{demo.DEMO_PASSWORD}'):")
        for email, name, role in demo.STAFF:
            self.stdout.write(f"  brand {role:<8} {email}  ({name})")
        self.stdout.write(
            "  Owners need two-factor authentication: when the login asks Sam for a code, run\n"
            "  `.venv/bin/python manage.py demo_totp`, or add the secret "
            f"{demo.DEMO_TOTP_SECRET} to an authenticator app."
        )
        for email, name, *_rest in demo.EXPERTS:
            self.stdout.write(f"  expert         {email}  ({name})")
        for email, name in demo.CUSTOMERS:
            self.stdout.write(f"  customer       {email}  ({name})")

    def _user(self, email: str, name: str, created: list[str]) -> Any:
        user, new = user_get_or_create(email=email, password=demo.DEMO_PASSWORD, name=name)
        if new:
            created.append(f"user {email}")
        return user

    def _seed(self, created: list[str]) -> None:
        owner_email, owner_name, _ = demo.STAFF[0]
        owner = self._user(owner_email, owner_name, created)
        if user_totp_enrol(user=owner, secret=demo.DEMO_TOTP_SECRET):
            created.append(f"authenticator app for {owner_email}")

        brand = Brand.objects.filter(slug=demo.BRAND["slug"]).first()
        if brand is None:
            brand = services.brand_create(owner=owner, **demo.BRAND)
            created.append(f"brand {brand.name}")
        for email, name, role in demo.STAFF[1:]:
            user = self._user(email, name, created)
            if not brand.memberships.filter(user=user).exists():
                services.membership_add(brand=brand, user=user, role=role, actor=owner)
                created.append(f"{role} {email}")

        for category_name, products in demo.CATALOGUE.items():
            category = Category.objects.filter(brand=brand, parent=None, name=category_name).first()
            if category is None:
                category = services.category_create(brand=brand, name=category_name, actor=owner)
                created.append(f"category {category_name}")
            for sub in demo.SUBCATEGORIES.get(category_name, []):
                if not Category.objects.filter(brand=brand, parent=category, name=sub).exists():
                    services.category_create(
                        brand=brand, name=sub, parent_id=category.pk, actor=owner
                    )
                    created.append(f"category {category_name} / {sub}")
            for product_name, sku in products:
                if not Product.objects.filter(brand=brand, name=product_name).exists():
                    services.product_create(
                        brand=brand,
                        name=product_name,
                        sku=sku,
                        category_id=category.pk,
                        actor=owner,
                    )
                    created.append(f"product {product_name}")

        for email, name, languages, capacity, status, skills in demo.EXPERTS:
            user = self._user(email, name, created)
            if not hasattr(user, "expert_profile"):
                services.expert_profile_upsert(
                    user=user, display_name=name, languages=languages, capacity=capacity
                )
            if not Expert.objects.filter(brand=brand, user=user).exists():
                expert = services.expert_enrol(brand=brand, user=user, status=status, actor=owner)
                created.append(f"expert {email} ({status})")
                for product_name, level, verified in skills:
                    product = Product.objects.get(brand=brand, name=product_name)
                    services.expert_skill_set(
                        expert=expert, product=product, level=level, verified=verified, actor=owner
                    )

        for email, name in demo.CUSTOMERS:
            self._user(email, name, created)

        self._seed_recruitment(brand, owner, created)

        # Higher apps (routing, payments) seed their part through the seeders they name in
        # settings, so this app does not import them.
        for path in settings.GIGCX_DEMO_SEEDERS:
            import_string(path)(brand=brand, actor=owner, created=created)

    def _seed_recruitment(self, brand: Brand, owner: Any, created: list[str]) -> None:
        quiz = demo.QUIZ
        if not Quiz.objects.filter(brand=brand, title=quiz["title"]).exists():
            services.quiz_create(
                brand=brand,
                title=quiz["title"],
                product_id=Product.objects.get(brand=brand, name=quiz["product"]).pk,
                level=quiz["level"],
                pass_mark=quiz["pass_mark"],
                cooldown_hours=quiz["cooldown_hours"],
                questions=[
                    {
                        "text": text,
                        "choices": [{"text": c, "is_correct": ok} for c, ok in choices],
                    }
                    for text, choices in quiz["questions"]
                ],
                actor=owner,
            )
            created.append(f"quiz {quiz['title']}")

        email, product_names = demo.INVITATION
        if not Invitation.objects.filter(brand=brand, email=email).exists():
            services.invitation_create(
                brand=brand,
                email=email,
                product_ids=[
                    p.pk for p in Product.objects.filter(brand=brand, name__in=product_names)
                ],
                actor=owner,
            )
            created.append(f"invitation {email}")

        application = demo.APPLICATION
        applicant = Expert.objects.get(brand=brand, user__email=application["email"]).user
        if not Application.objects.filter(brand=brand, user=applicant).exists():
            services.application_submit(
                brand=brand,
                user=applicant,
                items=[
                    (Product.objects.get(brand=brand, name=name).pk, level)
                    for name, level in application["products"]
                ],
                languages=application["languages"],
                motivation=application["motivation"],
                accept_terms=True,
            )
            created.append(f"application {application['email']}")
