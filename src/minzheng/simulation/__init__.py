"""Policy simulation: what a change of the rules does to households' incomes (issue #14)."""
