#!/usr/bin/env bash
# The stand-in postgres image's entrypoint: the official image's behaviour, for what Conveyor's
# docker-compose.yml and most users rely on (see the Dockerfile beside it). Not supported: the
# POSTGRES_INITDB_WALDIR variable and *.sql.xz/.zst init files.
set -Eeo pipefail

# NAME from NAME or from the file named by NAME_FILE (not both), else the default
file_env() {
  local var=$1 file_var="${1}_FILE" def=${2:-} val
  if [[ -n "${!var:-}" && -n "${!file_var:-}" ]]; then
    echo "error: both $var and $file_var are set (but are exclusive)" >&2
    exit 1
  fi
  val=$def
  if [[ -n "${!var:-}" ]]; then
    val=${!var}
  elif [[ -n "${!file_var:-}" ]]; then
    val=$(<"${!file_var}")
  fi
  export "$var"="$val"
  unset "$file_var"
}

setup_env() {
  file_env POSTGRES_PASSWORD
  file_env POSTGRES_USER postgres
  file_env POSTGRES_DB "$POSTGRES_USER"
  file_env POSTGRES_INITDB_ARGS
  : "${POSTGRES_HOST_AUTH_METHOD:=}"
  export PGDATA=${PGDATA:-/var/lib/postgresql/data}
}

init_database() {
  if [[ -z "$POSTGRES_PASSWORD" && "$POSTGRES_HOST_AUTH_METHOD" != trust ]]; then
    cat >&2 <<'MSG'
Error: Database is uninitialized and superuser password is not specified.
       You must specify POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE) to a non-empty value for
       the superuser, or POSTGRES_HOST_AUTH_METHOD=trust to allow every connection without one.
MSG
    exit 1
  fi
  # shellcheck disable=SC2086  # POSTGRES_INITDB_ARGS is a list of flags
  initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
    $POSTGRES_INITDB_ARGS -D "$PGDATA"
  local auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
  printf '\nhost all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"
  printf "\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"

  # why: a server on the socket only while initialising, so that a TCP health check does not count
  # it as ready
  PGUSER=$POSTGRES_USER pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w start
  export PGPASSWORD=$POSTGRES_PASSWORD
  local psql=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc)
  if [[ "$POSTGRES_DB" != postgres ]]; then
    "${psql[@]}" --dbname postgres -v db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
  fi
  local f
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh)
        if [[ -x "$f" ]]; then
          echo "$0: running $f"
          "$f"
        else
          echo "$0: sourcing $f"
          # shellcheck disable=SC1090
          . "$f"
        fi
        ;;
      *.sql) echo "$0: running $f"; "${psql[@]}" --dbname "$POSTGRES_DB" -f "$f" ;;
      *.sql.gz) echo "$0: running $f"; gunzip -c "$f" | "${psql[@]}" --dbname "$POSTGRES_DB" ;;
      *) [[ -e "$f" ]] && echo "$0: ignoring $f" ;;
    esac
  done
  unset PGPASSWORD
  pg_ctl -D "$PGDATA" -m fast -w stop
  echo
  echo 'PostgreSQL init process complete; ready for start up.'
  echo
}

if [[ "${1:0:1}" == - ]]; then
  set -- postgres "$@"
fi
if [[ "$1" == postgres ]]; then
  setup_env
  if [[ "$(id -u)" == 0 ]]; then
    mkdir -p "$PGDATA" /var/run/postgresql
    chmod 00700 "$PGDATA"
    find "$PGDATA" \! -user postgres -exec chown postgres '{}' +
    chown postgres /var/run/postgresql
    chmod 3777 /var/run/postgresql
    exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
  fi
  if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
    init_database
  else
    echo
    echo 'PostgreSQL Database directory appears to contain a database; Skipping initialization'
    echo
  fi
fi
exec "$@"
