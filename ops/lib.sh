# Shared by ops/run and ops/test: where builds go, and the set-up both need.
# Sourced, not run.

# The target directory lives outside the clone so that a fresh clone (CI) reuses the build.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tsunagu/target}"

# Installs Debian packages that are missing (only when some are), as root or through sudo.
ensure_packages() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "ops: installing ${missing[*]}" >&2
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 (the tests use both backends) and
# lets the local user postgres in from 127.0.0.1 without a password, as the tests connect.
ensure_postgres() {
    if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
        trust_local_postgres
        return 0
    fi
    ensure_packages postgresql
    local version
    version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$version" ]; then
        echo "ops: no PostgreSQL cluster under /etc/postgresql" >&2
        return 1
    fi
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 1 30); do
        if pg_isready -q -h 127.0.0.1 -p 5432; then
            trust_local_postgres
            return 0
        fi
        sleep 1
    done
    echo "ops: PostgreSQL did not start on 127.0.0.1:5432" >&2
    return 1
}

# Debian's cluster asks for a password over TCP (scram-sha-256): on a test machine whose own
# cluster it is, let loopback connections in (trust), once, and reload.
trust_local_postgres() {
    psql -w -h 127.0.0.1 -U postgres -d postgres -c 'SELECT 1' >/dev/null 2>&1 && return 0
    local version hba
    version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
    hba="/etc/postgresql/$version/main/pg_hba.conf"
    if [ -z "$version" ] || [ ! -w "$hba" ]; then
        echo "ops: PostgreSQL refuses postgres@127.0.0.1 without a password; set TSUNAGU_TEST_POSTGRES_URL" >&2
        return 1
    fi
    echo "ops: letting postgres@127.0.0.1 in without a password for the tests ($hba)" >&2
    local lines
    lines=$'# tsunagu tests (ops/lib.sh): loopback connections trusted\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust'
    printf '%s\n%s\n' "$lines" "$(cat "$hba")" > "$hba"
    pg_ctlcluster --skip-systemctl-redirect "$version" main reload
    for _ in $(seq 1 10); do
        psql -w -h 127.0.0.1 -U postgres -d postgres -c 'SELECT 1' >/dev/null 2>&1 && return 0
        sleep 1
    done
    echo "ops: PostgreSQL still refuses postgres@127.0.0.1" >&2
    return 1
}
