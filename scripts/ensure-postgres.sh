#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 with a `needlepoint` role that may
# create databases (the test suite creates and drops its own). Installs PostgreSQL from Debian's
# packages when it is missing and starts the cluster when it is down. Prints the DATABASE_URL.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "installing PostgreSQL from Debian's packages" >&2
  apt-get update -qq >&2 && apt-get install -y -qq postgresql >&2
fi
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "starting PostgreSQL" >&2
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
pg_isready -q -h 127.0.0.1 -p 5432 || { echo "PostgreSQL did not start" >&2; exit 1; }
su postgres -c "psql -q -v ON_ERROR_STOP=1 -d postgres" >&2 <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'needlepoint') THEN
    CREATE ROLE needlepoint LOGIN CREATEDB PASSWORD 'needlepoint';
  END IF;
END $$;
SQL
echo "postgres://needlepoint:needlepoint@127.0.0.1:5432/postgres"
