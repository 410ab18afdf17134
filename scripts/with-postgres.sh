#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL cluster: initdb in a new temporary directory,
# listening on a free loopback port only, trust authentication for its own superuser; the
# command sees its URL in CREDWELL_TEST_POSTGRES; the cluster is stopped and deleted afterwards,
# whatever the command does. Needs Debian's postgresql package (scripts/test.sh installs it).
#
#   scripts/with-postgres.sh cargo test -p credwell-sync-server
set -euo pipefail

bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "with-postgres: PostgreSQL is not installed (apt-get install postgresql)" >&2
  exit 1
fi
dir="$(mktemp -d)"
# initdb refuses to run as root: the package's postgres user owns the cluster then.
as_owner=()
if [ "$(id -u)" = 0 ]; then
  chown postgres "$dir"
  as_owner=(runuser -u postgres --)
fi
port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
stop() {
  "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/db" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT
"${as_owner[@]}" "$bin/initdb" -D "$dir/db" -U postgres --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
# This cluster's pg_ctl: as its owner, with its data directory, log and options, for the tests
# that stop, start or restart the server ("$CREDWELL_TEST_POSTGRES_CTL" restart -m immediate).
options="-k $dir -p $port -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off"
{
  echo '#!/usr/bin/env bash'
  printf 'exec'
  printf ' %q' "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/db" -l "$dir/log" -w -o "$options"
  echo ' "$@"'
} >"$dir/pg_ctl"
chmod 755 "$dir/pg_ctl"
"$dir/pg_ctl" start >/dev/null || { cat "$dir/log" >&2; exit 1; }
export CREDWELL_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port/postgres"
export CREDWELL_TEST_POSTGRES_CTL="$dir/pg_ctl"
# The data directory and the server binaries, for tests that restart the server.
export CREDWELL_TEST_POSTGRES_DATA="$dir/db"
export CREDWELL_TEST_POSTGRES_BIN="$bin"
"$@"
