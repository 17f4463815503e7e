"""The Memcached backend: the meta-protocol codec, key encoding, the hash ring and the
planner (all sans-IO), the trio driver and the blocking one."""
