"""Money: ISO 4217 currencies, exact amounts and a mission's dated exchange-rate table."""
