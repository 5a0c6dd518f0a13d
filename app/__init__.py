"""TradeBooth service: settings, database, HTTP API and pages."""
