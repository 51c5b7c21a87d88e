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

# pipeline.flows.marts and pipeline.staging find sql/ and expectations/ next to the `pipeline`
# package, so the package is imported from /opt/airflow (PYTHONPATH), not site-packages.
# docker-compose.yml bind-mounts the repo's copies over these for live editing.
COPY --chown=airflow:root sql/ ./sql/
COPY --chown=airflow:root expectations/ ./expectations/
COPY --chown=airflow:root dags/ ./dags/
RUN mkdir -p /opt/airflow/warehouse
ENV PYTHONPATH=/opt/airflow \
    CLOUT_WAREHOUSE=/opt/airflow/warehouse
