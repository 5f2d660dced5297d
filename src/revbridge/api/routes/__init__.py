"""One router per area, each a thin call into the application services."""
