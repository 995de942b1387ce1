// libdaas.so's own translation unit. Everything in the library comes from daas_capi, linked whole;
// CMake wants at least one source per library, and this one also checks that daas.h compiles as
// C++ on its own.
#include "daas/daas.h"
