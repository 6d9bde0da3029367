"""Forms parse and check input; services decide and write."""
