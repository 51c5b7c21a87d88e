-- metrics: the ratios of the marts: the campaign metrics of campaign_daily and
-- campaign_summary (DESIGN section 4), safe_div and cpm in influencer_daily and influencer_scores.
-- Every ratio with a zero or NULL denominator is NULL, never inf or 0.

-- safe_div: numerator / denominator, NULL when the denominator is 0 or NULL
create or replace temp macro safe_div(numerator, denominator) as
    numerator / nullif(denominator, 0);

-- click-through rate: clicks per impression
create or replace temp macro ctr(clicks, impressions) as safe_div(clicks, impressions);

-- conversion rate: conversions per click
create or replace temp macro cvr(conversions, clicks) as safe_div(conversions, clicks);

-- cost per 1,000 impressions
create or replace temp macro cpm(spend, impressions) as safe_div(spend, impressions) * 1000;

-- cost per click
create or replace temp macro cpc(spend, clicks) as safe_div(spend, clicks);

-- cost per acquisition (per conversion)
create or replace temp macro cpa(spend, conversions) as safe_div(spend, conversions);

-- return on ad spend: revenue per unit of spend
create or replace temp macro roas(revenue, spend) as safe_div(revenue, spend);

-- net return on ad spend: revenue less cost of goods, per unit of spend
create or replace temp macro net_roas(revenue, cogs, spend) as safe_div(revenue - cogs, spend);

-- return on investment: profit after cost of goods and spend, per unit of spend
create or replace temp macro roi(revenue, cogs, spend) as safe_div(revenue - cogs - spend, spend);

-- lift in percent of the current value over the previous one (NULL when that is 0 or NULL)
create or replace temp macro lift_pct(cur, prev) as safe_div(100 * (cur - prev), prev);
