-- influencer_daily: one row per account per day.
-- engagement_rate (DESIGN section 4): instagram = median over the latest 12 posts of
-- (likes + comments) / followers; tiktok and youtube = median over the latest 12 posts of
-- (likes + comments) / views. NULL where there is no post or a zero denominator.
-- growth_rate = follower_delta / previous day's followers (NULL without a previous day).
with

accounts as (
    select * from stg_accounts where dt = getvariable('dt')
),

accounts_prev as (
    select platform, account_id, followers as followers_prev
    from stg_accounts
    where dt = getvariable('dt') - interval 1 day
),

posts as (
    select * from stg_posts
    where dt = getvariable('dt') and published_at < getvariable('dt') + interval 1 day
),

latest_posts as (
    select
        posts.*,
        row_number() over (
            partition by platform, account_id order by published_at desc, post_id desc
        ) as recency
    from posts
),

post_rates as (
    select
        -- ids
        latest_posts.platform,
        latest_posts.account_id,
        -- numerics
        count(*) as posts_measured,
        median(
            case
                when latest_posts.platform = 'instagram'
                    then (likes + comments) / nullif(accounts.followers, 0)
                else (likes + comments) / nullif(views, 0)
            end
        ) as engagement_rate,
        avg(views) as avg_views
    from latest_posts
    join accounts using (platform, account_id)
    where recency <= 12
    group by all
),

published as (
    select platform, account_id, count(*) as posts_published
    from posts
    where cast(published_at as date) = getvariable('dt')
    group by all
),

final as (
    select
        -- ids
        accounts.platform,
        accounts.account_id,
        accounts.handle,
        accounts.category,
        -- numerics
        accounts.followers,
        accounts.following,
        accounts.followers - accounts_prev.followers_prev as follower_delta,
        (accounts.followers - accounts_prev.followers_prev)
            / nullif(accounts_prev.followers_prev, 0) as growth_rate,
        coalesce(published.posts_published, 0) as posts_published,
        coalesce(post_rates.posts_measured, 0) as posts_measured,
        post_rates.engagement_rate,
        post_rates.avg_views
    from accounts
    left join accounts_prev using (platform, account_id)
    left join post_rates using (platform, account_id)
    left join published using (platform, account_id)
)

select * from final order by platform, account_id
