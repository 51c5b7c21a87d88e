# clout on the reference Airflow image. The tag's Airflow version must equal the
# apache-airflow pin in constraints.txt (tests/test_compose.py checks it).
FROM apache/airflow:3.3.2-python3.11

# AIRFLOW_HOME is /opt/airflow; install as the airflow user, as the image's docs ask.
USER airflow
WORKDIR /opt/airflow

COPY --chown=airflow:root pyproject.toml constraints.txt README.md ./
COPY --chown=airflow:root pipeline/ ./pipeline/
RUN pip install --no-cache-dir -c constraints.txt . \
    && rm -rf build ./*.egg-info

# The SQL models and GX suites are package data (pipeline/sql, pipeline/expectations). The package
# is imported from /opt/airflow (PYTHONPATH), so docker-compose.yml's bind mount of ./pipeline
# serves live edits.
COPY --chown=airflow:root dags/ ./dags/
RUN mkdir -p /opt/airflow/warehouse
ENV PYTHONPATH=/opt/airflow \
    CLOUT_WAREHOUSE=/opt/airflow/warehouse
