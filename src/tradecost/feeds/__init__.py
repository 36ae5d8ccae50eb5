"""Exchange feed adapters: a sans-I/O protocol core per exchange plus a thin asyncio client."""
