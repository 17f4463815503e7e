"""Every operation once: its argument checks, its argv, its reply decoding, its keys and
whether a retry is safe.  Nothing here does I/O."""
