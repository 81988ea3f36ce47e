/* version.c — gather_version (gather/gather.h: the umbrella header, hence the top layer). */
#include "config.h"

#include "gather/gather.h"

const char *gather_version(void)
{
	return PACKAGE_VERSION;
}
