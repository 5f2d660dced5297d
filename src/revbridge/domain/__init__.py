"""Pure values and math: money, periods, splits, pricing, proration, tax, recognition.

Nothing here reads a clock, a database, a file or the environment: values in, values out.
"""
