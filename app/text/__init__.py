"""Pure text functions: Unicode hygiene, slugs and HTML. No I/O, no database."""
