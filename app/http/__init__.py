"""The kernel's HTTP edge: middleware, the response cache and cache headers,
conditional requests, the route class, OpenAPI, the client's address, rate limits,
the running app's resources. It imports no domain."""
