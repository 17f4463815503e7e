"""TLS settings from a `Config`, shared by the trio and the blocking transports.

Certificates and host names are verified by default (the system's CAs, or ``ssl_ca_file``);
``ssl_certfile``/``ssl_keyfile`` present a client certificate; ``ssl_insecure=true`` turns
verification off and is never the default.
"""

from __future__ import annotations

import ssl

from .._url import Config

__all__ = ["ssl_context"]


def ssl_context(config: Config) -> ssl.SSLContext:
    """The client-side SSL context for `config`."""
    context = ssl.create_default_context(cafile=config.ssl_ca_file)
    if config.ssl_certfile:
        context.load_cert_chain(config.ssl_certfile, config.ssl_keyfile)
    if config.ssl_insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
