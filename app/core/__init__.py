"""The kernel's core: settings, the clock, the database, domain events, errors,
pagination and the types of request fields. It imports no domain and nothing of HTTP
beyond request parameter types."""
