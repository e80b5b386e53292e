#!/usr/bin/env bash
# One-shot setup before the Airflow components start (the airflow-init service); safe to re-run.
set -euo pipefail

# the .env.example placeholders are not secrets: refuse to set up with them
for name in AIRFLOW_ADMIN_PASSWORD AIRFLOW__CORE__FERNET_KEY AIRFLOW__API_AUTH__JWT_SECRET AIRFLOW__API__SECRET_KEY; do
    if [[ "${!name}" == change-me* ]]; then
        echo "airflow-init: $name still has the placeholder of .env.example; set a real value in .env" >&2
        exit 1
    fi
done

echo "airflow-init: metadata database"
airflow db migrate

echo "airflow-init: login of ${AIRFLOW_ADMIN_USER} (SimpleAuthManager passwords file)"
python - <<'PY'
import json, os, pathlib

path = pathlib.Path(os.environ["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"])
path.parent.mkdir(parents=True, exist_ok=True)
path.write_text(json.dumps({os.environ["AIRFLOW_ADMIN_USER"]: os.environ["AIRFLOW_ADMIN_PASSWORD"]}) + "\n")
path.chmod(0o600)
PY

echo "airflow-init: warehouse schema"
newsetl db upgrade

echo "airflow-init: pool news_fetch (${FETCH_POOL_SLOTS} slots)"
airflow pools set news_fetch "${FETCH_POOL_SLOTS}" "news_etl fetch tasks at once (each is polite per host on its own)"

# The warehouse connection is AIRFLOW_CONN_NEWS_WAREHOUSE in every service's environment (not stored
# in the metadata DB, so its password lives only in .env).
echo "airflow-init: done"
