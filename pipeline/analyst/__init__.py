"""What analysts see: readable tables and file exports of a query (``export``), the HTML report
(``report``), publishing marts to a SQL database for BI tools (``publish``) and web-analytics
conversions (``ga4``)."""
