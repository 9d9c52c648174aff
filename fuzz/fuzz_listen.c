/* Fuzz target for listen addresses (net/httpd.c httpd_parse_listen). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "net/httpd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), host[64];
	int port;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (httpd_parse_listen(s, host, &port) == 0 && (port < 0 || port > 65535 || strlen(host) >= 64))
		abort();
	free(s);
	return 0;
}
