#!/usr/bin/env bash
# First start of the postgres service: one role and one database for the warehouse, one for Airflow's
# metadata, with the names and passwords of .env (psql variables: nothing is pasted into SQL text).
set -euo pipefail

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v wh_db="$WAREHOUSE_DB" -v wh_user="$WAREHOUSE_DB_USER" -v wh_password="$WAREHOUSE_DB_PASSWORD" \
    -v af_db="$AIRFLOW_DB" -v af_user="$AIRFLOW_DB_USER" -v af_password="$AIRFLOW_DB_PASSWORD" <<'SQL'
create role :"wh_user" login password :'wh_password';
create database :"wh_db" owner :"wh_user";
create role :"af_user" login password :'af_password';
create database :"af_db" owner :"af_user";
SQL
