"""Business rules that write, one module per concern; views and tasks call these."""
