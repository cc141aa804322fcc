from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """Data rights: a customer's export and erasure, and brands' conversation retention.

    It sits above every other app (it reads and anonymises routing's questions, quality's
    ratings and checks payments' records) and nothing imports it. It has no tables.
    """

    name = "privacy"
