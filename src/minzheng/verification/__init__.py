"""Household economic-status verification (家庭经济状况核对)."""
