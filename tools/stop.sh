#!/usr/bin/env bash
# make stop: stop the embedded PostgreSQL cluster.
source "$(dirname "$0")/lib.sh"
pg_stop
