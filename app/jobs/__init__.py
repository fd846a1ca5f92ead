"""Background jobs: small functions over ids that call services. See queues.py for dispatch."""
