from tests.aliyun_peer import aliyun_peer  # noqa: F401 - the fixture, for the tests of this folder
