"""smartpractice_lab/bench"""
