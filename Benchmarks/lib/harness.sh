# Shared by the comparison scripts (sourced after they define log() and SCRIPT, their own name
# for messages).

# problem MESSAGE: record a problem for the report and show it with a banner.
PROBLEMS=()
problem() {
    PROBLEMS+=("$*")
    printf '\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n!!! %s\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\n' "$*" >&2
}

# problems_section: the report's list of problems, if any.
problems_section() {
    [[ ${#PROBLEMS[@]} -gt 0 ]] || return 0
    echo
    echo "**PROBLEMS**"
    for p in "${PROBLEMS[@]}"; do echo "- $p"; done
}

# publish_report REPORT OUT: copy the finished report to OUT and print it.
publish_report() {
    mkdir -p "$(dirname "$2")"
    cp "$1" "$2"
    cat "$1"
}

# install_packages PKG…: apt-get install the packages (as root), updating the lists once if needed.
install_packages() {
    [[ $# -gt 0 ]] || return 0
    [[ $(id -u) -eq 0 ]] || { echo "$SCRIPT: missing packages ($*); run as root or install them" >&2; exit 1; }
    log "apt-get install -y $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" >/dev/null 2>&1 ||
        { apt-get update >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" >/dev/null; }
}

# claim_scratch DIR MARKER: empty DIR for this run, refusing a non-empty one without MARKER
# (a directory this script did not make).
claim_scratch() {
    local dir=$1 marker=$2
    if [[ -e $dir && -n $(ls -A "$dir" 2>/dev/null) && ! -f $dir/$marker ]]; then
        echo "$SCRIPT: $dir exists and was not made by this script; refusing to wipe it (use --work)" >&2
        exit 1
    fi
    rm -rf "$dir"
}

# start_pg_server: the project's throwaway PostgreSQL server ($PG_SERVER_SCRIPT, data in
# $PG_DIR), started if it is not running. Exports PGUSER, PGHOST, PGPORT, PGPASSWORD and
# DB_PASSWORD (the password never goes on a command line) and sets SERVER_BASE
# (postgresql://USER@HOST:PORT) and pg_was_running (1: leave it running at the end).
start_pg_server() {
    pg_was_running=0
    if "$PG_SERVER_SCRIPT" status >/dev/null 2>&1; then pg_was_running=1; fi
    local url
    url=$("$PG_SERVER_SCRIPT" start | tail -n 1) || die "scripts/postgres-test-server.sh start failed"
    [[ $url =~ ^postgresql://([^@/]+)@([^:/]+):([0-9]+)/ ]] || die "unexpected server URL '$url'"
    export PGUSER=${BASH_REMATCH[1]} PGHOST=${BASH_REMATCH[2]} PGPORT=${BASH_REMATCH[3]}
    [[ -r $PG_DIR/password ]] || die "cannot read the server's password file $PG_DIR/password"
    PGPASSWORD=$(<"$PG_DIR/password")
    export PGPASSWORD DB_PASSWORD=$PGPASSWORD
    SERVER_BASE=postgresql://$PGUSER@$PGHOST:$PGPORT
}
