-- fraud: macros of the fraud signal views.

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

-- flag_severity: 'high' when the statistic a signal tested is at least twice as far from 0 as
-- the threshold it crossed, else 'medium'
create or replace temp macro flag_severity(statistic, threshold) as
    case when abs(statistic) >= 2 * abs(threshold) then 'high' else 'medium' end;
