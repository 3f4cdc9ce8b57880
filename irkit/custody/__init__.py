"""Chain of custody: signatures over the manifest and encryption of the bundle to recipients."""


class CustodyError(ValueError):
    """A key, recipient or identity cannot be read or used; the message names it."""
