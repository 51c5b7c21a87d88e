"""Brand side: campaigns, shop orders, ad delivery file drops, attribution and campaign ROAS.

Modules: :mod:`campaigns` (campaigns file), :mod:`orders` (shop DB extraction, staging),
:mod:`delivery_files` (ad-manager exports), :mod:`fx` (FX table), :mod:`marts` (attribution
and the ``campaign_daily`` / ``campaign_summary`` marts), :mod:`run` (one call per DAG task),
:mod:`bench` (``bench_roas``). Import-light: nothing heavy is imported here.
"""
