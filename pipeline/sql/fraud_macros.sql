-- fraud_macros: DuckDB macros the fraud signal views share (run before them).
-- size_tier: the market's follower tiers, nano < 10k, micro < 100k, mid < 500k, macro < 1M,
-- mega >= 1M; accounts are compared with peers of the same platform and tier.
create or replace temp macro size_tier(followers) as
    case
        when followers < 10000 then 'nano'
        when followers < 100000 then 'micro'
        when followers < 500000 then 'mid'
        when followers < 1000000 then 'macro'
        else 'mega'
    end;
