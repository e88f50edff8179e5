# t_my_crash_pg.sh - t_my_crash.sh with a PostgreSQL target: 20 SIGKILLs
# during the copy and streaming, MariaDB -> PostgreSQL, identical at the
# end (normalized digest).
MY_CRASH_TARGET=pg
. "$FERRY_TOP/tests/integration/t_my_crash.sh"
