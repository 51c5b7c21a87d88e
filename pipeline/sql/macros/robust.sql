-- robust: the robust statistics of the fraud signals (median and MAD rather than mean and
-- standard deviation, so that the outliers looked for do not widen their own yardstick).

-- robust_sd (aggregate): 1.4826 * the median absolute deviation from the median of x, the
-- standard deviation of a normal distribution with that MAD
create or replace temp macro robust_sd(x) as 1.4826 * mad(x);

-- robust_z: how many scales x lies above center (scale: a robust_sd, floored, with counting noise
-- added where the signal has some)
create or replace temp macro robust_z(x, center, scale) as (x - center) / scale;
