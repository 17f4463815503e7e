"""Redis Cluster: slot maths and routing (sans-IO, shared), the trio and blocking drivers."""
