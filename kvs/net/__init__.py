"""The trio I/O of kvs: byte transports, the multiplexed connection, reconnection, and the
sharing of one connection per URL inside a trio run.  This is the one place where trio's and
the OS's errors and deadlines become `kvs` errors (`multiplexed._translate`)."""
