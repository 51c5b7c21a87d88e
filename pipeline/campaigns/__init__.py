"""Brand side: campaigns, shop orders, ad delivery file drops, FX and attribution.

Modules: :mod:`campaigns` (campaigns file), :mod:`orders` (shop orders), :mod:`delivery_files`
(ad-manager exports), :mod:`fx` (FX table), :mod:`attribution` (the campaign marts' prepare
steps; the marts are built by :mod:`pipeline.flows.marts`). Import-light: nothing heavy here.
"""
