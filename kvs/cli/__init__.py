"""The `kvs` command: one-shot commands, the shell, the demo and the load generator."""
