# newsetl's Airflow image: the official Airflow 3.3.2 image plus the committed lock and this project.
# Built by docker-compose.yml (`docker compose build`); one image for every Airflow component.
FROM apache/airflow:3.3.2-python3.11

USER root
# /opt/airflow/auth holds the SimpleAuthManager passwords file; a named volume mounted there starts
# with this folder's owner, so the airflow user can write it.
RUN mkdir -p /opt/newsetl /opt/airflow/auth \
    && chown -R airflow:0 /opt/newsetl /opt/airflow/auth
USER airflow
WORKDIR /opt/newsetl

# The same lock `make` installs (x86_64, every file pinned by hash). It pins apache-airflow==3.3.2,
# the image's own version, so pip keeps Airflow and only adds/aligns the pipeline's libraries.
COPY --chown=airflow:0 requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock

# The project, editable: etl/ finds sql/ and seeds/ beside itself (etl/settings.py REPO_ROOT), as in a
# checkout; a plain `pip install .` would leave them behind. setuptools comes from the lock.
COPY --chown=airflow:0 pyproject.toml README.md ./
COPY --chown=airflow:0 etl ./etl
COPY --chown=airflow:0 sql ./sql
COPY --chown=airflow:0 seeds ./seeds
COPY --chown=airflow:0 dags ./dags
COPY --chown=airflow:0 docker ./docker
RUN pip install --no-cache-dir --no-deps --no-build-isolation -e .

ENV AIRFLOW__CORE__DAGS_FOLDER=/opt/newsetl/dags \
    PYTHONPATH=/opt/newsetl/dags:/opt/newsetl
