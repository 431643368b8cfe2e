//go:build !windows

package face

/*
#cgo linux LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>

// The ONNX Runtime C API is a table of function pointers whose layout only
// ever grows at the end, so an entry's index is stable across releases.
// GetAvailableProviders is entry 125, ReleaseAvailableProviders 126
// (offsetof in onnxruntime_c_api.h, API version 29).
typedef struct {
	const void* (*GetApi)(uint32_t version);
	const char* (*GetVersionString)(void);
} castscopeApiBase;

typedef void* (*castscopeGetAvailable)(char*** out, int* n);
typedef void* (*castscopeReleaseAvailable)(char** ptr, int n);

static int castscopeProviders(const char* lib, char*** out, int* n) {
	void* h = dlopen(lib, RTLD_LAZY);
	if (!h) return -1;
	const castscopeApiBase* (*getBase)(void) = (const castscopeApiBase* (*)(void))dlsym(h, "OrtGetApiBase");
	if (!getBase) { dlclose(h); return -2; }
	const castscopeApiBase* base = getBase();
	void* const* api = (void* const*)base->GetApi(29);
	if (!api) { dlclose(h); return -3; }
	castscopeGetAvailable get = (castscopeGetAvailable)api[125];
	void* st = get(out, n);
	if (st) {
		// Only fails on allocation failure; the status is not released.
		dlclose(h);
		return -4;
	}
	dlclose(h);
	return 0;
}

static void castscopeReleaseProviders(const char* lib, char** p, int n) {
	void* h = dlopen(lib, RTLD_LAZY);
	if (!h) return;
	const castscopeApiBase* (*getBase)(void) = (const castscopeApiBase* (*)(void))dlsym(h, "OrtGetApiBase");
	if (getBase) {
		void* const* api = (void* const*)getBase()->GetApi(29);
		if (api) ((castscopeReleaseAvailable)api[126])(p, n);
	}
	dlclose(h);
}

static char* castscopeAt(char** p, int i) { return p[i]; }
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// libraryProviders asks the loaded library which execution providers it
// was built with (OrtApi.GetAvailableProviders), in the library's order.
func libraryProviders(lib string) ([]string, error) {
	cLib := C.CString(lib)
	defer C.free(unsafe.Pointer(cLib))
	var out **C.char
	var n C.int
	if rc := C.castscopeProviders(cLib, &out, &n); rc != 0 {
		return nil, fmt.Errorf("face: list providers of %s: step %d failed", lib, -rc)
	}
	names := make([]string, 0, int(n))
	for i := 0; i < int(n); i++ {
		names = append(names, C.GoString(C.castscopeAt(out, C.int(i))))
	}
	C.castscopeReleaseProviders(cLib, out, n)
	return names, nil
}
