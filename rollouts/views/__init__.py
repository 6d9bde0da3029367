"""Thin views, one module per page: parse input, call one service or selector, render."""
