"""Brands and their people: staff memberships, catalogue, experts and the advocate pool
(core), and recruitment into the pool: invitations, applications and quizzes."""

from marketplace.models.core import (
    LANGUAGE_CHOICES,
    LANGUAGE_CODES,
    AvailabilityWindow,
    Brand,
    BrandApiKey,
    BrandMembership,
    Category,
    Expert,
    ExpertProfile,
    ExpertSkill,
    Product,
)
from marketplace.models.recruitment import (
    Application,
    ApplicationProduct,
    Invitation,
    Quiz,
    QuizAttempt,
    QuizChoice,
    QuizQuestion,
)

__all__ = [
    "LANGUAGE_CHOICES",
    "LANGUAGE_CODES",
    "Application",
    "ApplicationProduct",
    "AvailabilityWindow",
    "Brand",
    "BrandApiKey",
    "BrandMembership",
    "Category",
    "Expert",
    "ExpertProfile",
    "ExpertSkill",
    "Invitation",
    "Product",
    "Quiz",
    "QuizAttempt",
    "QuizChoice",
    "QuizQuestion",
]
