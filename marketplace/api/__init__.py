"""Marketplace API, split by subdomain: core (viewer, brands, catalogue, pool, keys),
recruitment (invitations, applications, quizzes) and profile."""
