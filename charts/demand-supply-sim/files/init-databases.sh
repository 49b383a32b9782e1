#!/usr/bin/env bash
# Run once by the postgres image's entrypoint, on an empty data directory: one login role and
# one database per part, the role owning its database and nobody else allowed to connect to it.
# The passwords come from the chart's Secret through the container's environment.
set -euo pipefail

create_part() {
  local name="$1" password="$2"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    --set name="$name" --set password="$password" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
SQL
  echo "created role and database $name"
}

create_part inventory "$INVENTORY_PASSWORD"
create_part store "$STORE_PASSWORD"
create_part sim "$SIM_PASSWORD"
