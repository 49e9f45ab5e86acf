"""smartpractice_lab"""
