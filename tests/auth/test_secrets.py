"""Token secrets: shape, checksum, digest."""

from app.auth import secrets


class TestSecrets:
    def test_shape(self) -> None:
        secret = secrets.generate_secret()

        assert secret.startswith("akh_")
        assert len(secret) == 4 + 32 + 6
        assert secret[4:].isalnum()
        assert secret.isascii()
        assert secrets.is_well_formed(secret)

    def test_each_is_new(self) -> None:
        assert len({secrets.generate_secret() for _ in range(1000)}) == 1000

    def test_a_mistyped_character_fails_the_checksum(self) -> None:
        secret = secrets.generate_secret()
        position = 10
        typo = "a" if secret[position] != "a" else "b"

        assert not secrets.is_well_formed(secret[:position] + typo + secret[position + 1 :])

    def test_other_shapes_are_refused(self) -> None:
        secret = secrets.generate_secret()

        for bad in ["", "akh_", secret[:-1], secret + "x", "ghp_" + secret[4:], secret.upper()]:
            assert not secrets.is_well_formed(bad), bad

    def test_digest_matches_only_its_secret(self) -> None:
        secret, other = secrets.generate_secret(), secrets.generate_secret()

        assert secrets.matches(secret, secrets.digest(secret))
        assert not secrets.matches(other, secrets.digest(secret))
        assert len(secrets.digest(secret)) == 64
        assert secrets.lookup_prefix(secret) == secret[4:12]
