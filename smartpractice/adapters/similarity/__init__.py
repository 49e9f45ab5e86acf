"""smartpractice/adapters/similarity"""
