"""The commercial model: meters, plans and prices as code; customers; subscriptions."""
