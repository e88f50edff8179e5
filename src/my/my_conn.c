/*
 * my_conn.c - opening a MySQL / MariaDB connection (see my_conn.h).
 */
#include <mysql.h>

#include "my_conn.h"

/*
 * TLS as Connector/C 3.3 offers it.  It has no separate "verify the CA
 * but not the host name": verify-ca checks both, like verify-full.  A
 * client that asks for TLS (MYSQL_OPT_SSL_ENFORCE) still goes on in
 * plain text when the server offers none unless verification is on, so
 * "require" is checked after connecting.
 */
static void set_tls(MYSQL *m, const struct config_db *db)
{
	my_bool on = 1, off = 0;

	switch (db->sslmode) {
	case CONFIG_SSL_DEFAULT:
		if (!db->ssl_ca)
			return;
		/* a CA given without a mode: verify with it */
		/* fall through */
	case CONFIG_SSL_VERIFY_CA:
	case CONFIG_SSL_VERIFY_FULL:
		mysql_optionsv(m, MYSQL_OPT_SSL_ENFORCE, &on);
		mysql_optionsv(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
		break;
	case CONFIG_SSL_DISABLE:
		mysql_optionsv(m, MYSQL_OPT_SSL_ENFORCE, &off);
		mysql_optionsv(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &off);
		return;
	case CONFIG_SSL_ALLOW:
	case CONFIG_SSL_PREFER:
	case CONFIG_SSL_REQUIRE:
		mysql_optionsv(m, MYSQL_OPT_SSL_ENFORCE, &on);
		mysql_optionsv(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &off);
		break;
	}
	if (db->ssl_ca)
		mysql_optionsv(m, MYSQL_OPT_SSL_CA, db->ssl_ca);
}

int my_conn_open(const struct my_conn_params *p, MYSQL **out, struct err *e)
{
	const struct config_db *db = p->db;
	const char *host = db->host, *sock = NULL;
	unsigned int timeout = 10, local_infile = 0;
	my_bool off = 0;
	MYSQL *m;

	m = *out = mysql_init(NULL);
	if (!m)
		return err_set(e, FERRY_ENOMEM, "could not allocate a MySQL "
			       "connection");
	mysql_optionsv(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	if (p->read_timeout)
		mysql_optionsv(m, MYSQL_OPT_READ_TIMEOUT, &p->read_timeout);
	/* a silent reconnect would lose the open transaction */
	mysql_optionsv(m, MYSQL_OPT_RECONNECT, &off);
	/* the server may never make us send a local file */
	mysql_optionsv(m, MYSQL_OPT_LOCAL_INFILE, &local_infile);
	mysql_optionsv(m, MYSQL_OPT_CONNECT_ATTR_ADD, "program_name",
		       p->application_name ? p->application_name : "ferry");
	set_tls(m, db);
	if (host && host[0] == '/') {
		sock = host;	/* a Unix socket path */
		host = "localhost";
	}
	if (!mysql_real_connect(m, host, db->user,
				p->password && *p->password ? p->password
							    : NULL,
				db->database, (unsigned)db->port, sock,
				p->flags))
		return err_set(e, FERRY_ECONN, "could not connect to %s at "
			       "%s:%d database \"%s\" as \"%s\": %s (errno %u)",
			       p->what, db->host, db->port, db->database,
			       db->user, mysql_error(m), mysql_errno(m));
	if (db->sslmode == CONFIG_SSL_REQUIRE && !mysql_get_ssl_cipher(m))
		return err_set(e, FERRY_ECONN, "could not connect to %s at "
			       "%s:%d: the server does not offer TLS and "
			       "sslmode is require", p->what, db->host,
			       db->port);
	return 0;
}
