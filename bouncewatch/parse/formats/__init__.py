"""Decoders for bounces that don't follow RFC 3464: one module per format, each with one
decoder class that carries its own metadata (`base.FormatDecoder`).

The order they are tried in is kept in one place, `bouncewatch.parse.registry`.
"""
