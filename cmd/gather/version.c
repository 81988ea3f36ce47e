/* version.c — `gather --version`: our version, then the libraries this
 * binary runs with, as `curl --version` lists them (a bug report names the
 * OpenSSL or libxml2 in use without a second question).  Run-time versions
 * where the library tells them, else the headers built against. */
#include "config.h"

#include <stdio.h>

#include <brotli/decode.h>
#include <confuse.h>
#include <event2/event.h>
#include <jansson.h>
#include <libpsl.h>
#include <libxml/xmlversion.h>
#include <llhttp.h>
#include <openssl/crypto.h>
#include <uriparser/UriBase.h>
#include <zlib.h>
#include <zstd.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <sqlite3.h>

#include "cli.h"

void cli_print_version(FILE *f)
{
	char pcre[64] = "?";
	uint32_t br = BrotliDecoderVersion();
	pcre2_config(PCRE2_CONFIG_VERSION, pcre);
	fprintf(f, "gather %s\n", PACKAGE_VERSION);
	fprintf(f, "libevent %s, %s, llhttp %d.%d.%d, libxml2 %s, zlib %s, brotli %u.%u.%u, "
	        "zstd %s, pcre2 %s, uriparser %d.%d.%d, libpsl %s, jansson %s, libconfuse %s, "
	        "SQLite %s\n",
	        event_get_version(), OpenSSL_version(OPENSSL_VERSION),
	        LLHTTP_VERSION_MAJOR, LLHTTP_VERSION_MINOR, LLHTTP_VERSION_PATCH,
	        LIBXML_DOTTED_VERSION, zlibVersion(), br >> 24, (br >> 12) & 0xfff, br & 0xfff,
	        ZSTD_versionString(), pcre, URI_VER_MAJOR, URI_VER_MINOR, URI_VER_RELEASE,
	        psl_get_version(), JANSSON_VERSION, confuse_version, sqlite3_libversion());
	fprintf(f, "Protocols: http https\n");
	fprintf(f, "Features: HTTP/1.1 gzip deflate br zstd TLS-SNI robots.txt sitemaps WARC/1.1 XPath PCRE2\n");
}
