"""smartpractice_lab/tutoring"""
