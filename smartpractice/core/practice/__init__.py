"""smartpractice/core/practice"""
