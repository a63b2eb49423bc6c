"""A cheap password hasher for tests only: PBKDF2 with one iteration.

Production keeps Django's default (1M iterations) and the history hasher's 200k; the suite
would otherwise spend most of its time hashing.
"""

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class FastTestHasher(PBKDF2PasswordHasher):
    algorithm = "pbkdf2_sha256_test"
    iterations = 1
