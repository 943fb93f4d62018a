"""Discovery: feeds (RSS, Atom, JSON Feed) and sitemaps (sitemaps.org, Google News)."""
