"""The product's settings for processes that tests start (such as the real `make run` of
tests/ops/test_devserver.py), with a fast password hasher: the real one costs ~0.3 s or more per
password on purpose, and `load_demo_data` sets ten. In-process tests get the same hasher from the
`_fast_password_hashing` fixture (tests/conftest.py)."""

from config.settings import *  # noqa: F403 - everything else is the product's

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
