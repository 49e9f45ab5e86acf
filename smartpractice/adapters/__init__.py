"""smartpractice/adapters"""
