/*
 * A stand-in for NVIDIA's libnvidia-ml.so.1, for the tests: the entry
 * points the agent binds, with nvml.h's signatures and return codes,
 * answering from a text file whose path is compiled in (-DVALUES=...),
 * re-read on every call so that a test can change the readings:
 *
 *   init RC           first line, optional: nvmlInit_v2 returns RC
 *   UTIL USED TOTAL   one line per GPU: utilization in percent (or "na" for
 *                     NVML_ERROR_NOT_SUPPORTED), memory used and total in MiB
 *
 * Built by gputest.StandInNVML with the system's C compiler.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { unsigned int gpu; unsigned int memory; } nvmlUtilization_t;
typedef struct { unsigned long long total; unsigned long long free; unsigned long long used; } nvmlMemory_t;

#define NVML_SUCCESS 0
#define NVML_ERROR_UNINITIALIZED 1
#define NVML_ERROR_INVALID_ARGUMENT 2
#define NVML_ERROR_NOT_SUPPORTED 3

struct device { int na; unsigned int util; unsigned long long used, total; };

static struct device devices[16];
static unsigned int ndevices;
static int init_rc;
static int initialized;

static void load(void) {
	FILE *f = fopen(VALUES, "r");
	char line[256];
	ndevices = 0;
	init_rc = 0;
	if (f == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL && ndevices < 16) {
		char util[32];
		struct device *d = &devices[ndevices];
		if (sscanf(line, "init %d", &init_rc) == 1)
			continue;
		if (sscanf(line, "%31s %llu %llu", util, &d->used, &d->total) != 3)
			continue;
		d->na = strcmp(util, "na") == 0;
		d->util = d->na ? 0 : (unsigned int)atoi(util);
		ndevices++;
	}
	fclose(f);
}

int nvmlInit_v2(void) {
	load();
	if (init_rc != 0)
		return init_rc;
	initialized = 1;
	return NVML_SUCCESS;
}

int nvmlShutdown(void) {
	initialized = 0;
	return NVML_SUCCESS;
}

int nvmlDeviceGetCount_v2(unsigned int *count) {
	if (!initialized)
		return NVML_ERROR_UNINITIALIZED;
	load();
	*count = ndevices;
	return NVML_SUCCESS;
}

int nvmlDeviceGetHandleByIndex_v2(unsigned int index, void **device) {
	if (!initialized)
		return NVML_ERROR_UNINITIALIZED;
	if (index >= ndevices)
		return NVML_ERROR_INVALID_ARGUMENT;
	*device = &devices[index];
	return NVML_SUCCESS;
}

int nvmlDeviceGetUtilizationRates(void *device, nvmlUtilization_t *utilization) {
	struct device *d = device;
	if (d->na)
		return NVML_ERROR_NOT_SUPPORTED;
	utilization->gpu = d->util;
	utilization->memory = d->util / 2;
	return NVML_SUCCESS;
}

int nvmlDeviceGetMemoryInfo(void *device, nvmlMemory_t *memory) {
	struct device *d = device;
	memory->total = d->total << 20;
	memory->used = d->used << 20;
	memory->free = memory->total - memory->used;
	return NVML_SUCCESS;
}
