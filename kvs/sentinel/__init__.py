"""Redis behind Sentinel (``redis+sentinel://``): discovery (sans-IO) and both drivers."""
