"""smartpractice/core/rating"""
