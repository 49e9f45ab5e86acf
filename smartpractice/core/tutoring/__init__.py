"""smartpractice/core/tutoring"""
