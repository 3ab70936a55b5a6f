"""From records to a decision: gates, frugality ranking, paired differences, comparisons of runs,
projections.
"""
