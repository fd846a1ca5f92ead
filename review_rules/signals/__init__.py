"""Signal modules, one per family; each registers its signals with @signal on import."""
