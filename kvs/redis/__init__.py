"""The Redis backend: the handshake (sans-IO, shared), the trio driver and the blocking one."""
