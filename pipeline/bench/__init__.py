"""``make bench`` (``python -m pipeline.bench``): the whole day at scale in ``__main__``, and the
stage benches it calls (``roas``: orders and delivery to campaign marts; ``scoring``: accounts
against briefs). Benches sit above the flows they time, so no domain imports them."""
