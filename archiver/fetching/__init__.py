"""The parts of the fetcher, one job per module; ``archiver.fetch`` puts them together.

``options`` (settings, ``parse_size``), ``guard`` (which addresses may be contacted),
``politeness`` (per-host slots and delays), ``retry`` (back-off and ``Retry-After``),
``wire`` (what went over the wire: request head, response fields, the spooled body),
``robots`` (robots.txt rules, cached per host for a run), ``targets`` (the URL of a fetch
or of a redirect hop, parsed and judged), ``problem`` (the exception these parts raise,
which ``Fetcher`` turns into a FetchResult's error).
"""
