"""Model weights: where they are (one module per source kind), made or joined into the cache, verified.

The entry point is `bench.weights.resolve.resolve_and_verify`; `cache` is the leaf every other module uses.
"""
