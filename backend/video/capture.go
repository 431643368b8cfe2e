package video

/*
#cgo !windows pkg-config: opencv4
#cgo CXXFLAGS: --std=c++11
#cgo windows CPPFLAGS: -IC:/opencv/build/install/include
#cgo windows LDFLAGS: -LC:/opencv/build/install/x64/mingw/lib -lopencv_core460 -lopencv_videoio460
#include <stdlib.h>
#include "capture.h"
*/
import "C"

import (
	"unsafe"

	"gocv.io/x/gocv"
)

// capture is cv::VideoCapture on the FFmpeg backend with grab's result and
// retrieve exposed: gocv v0.32.0's Grab drops the result and has no
// Retrieve, and decode-without-convert of unsampled frames is what makes
// sampled reading as fast as ffmpeg.
type capture struct{ p C.CSCapture }

func openCapture(path string) *capture {
	cs := C.CString(path)
	defer C.free(unsafe.Pointer(cs))
	c := &capture{p: C.cs_capture_open(cs)}
	if c.p == nil || C.cs_capture_opened(c.p) == 0 {
		c.close()
		return nil
	}
	return c
}

func (c *capture) get(prop gocv.VideoCaptureProperties) float64 {
	return float64(C.cs_capture_get(c.p, C.int(prop)))
}

func (c *capture) set(prop gocv.VideoCaptureProperties, v float64) bool {
	return C.cs_capture_set(c.p, C.int(prop), C.double(v)) != 0
}

// grab decodes the next frame without converting it; false at the end of
// the stream or on a decode failure.
func (c *capture) grab() bool { return C.cs_capture_grab(c.p) != 0 }

// retrieve converts the last grabbed frame to BGR into m (reallocating it
// as needed).
func (c *capture) retrieve(m *gocv.Mat) bool {
	return C.cs_capture_retrieve(c.p, unsafe.Pointer(m.Ptr())) != 0
}

func (c *capture) close() {
	if c != nil && c.p != nil {
		C.cs_capture_close(c.p)
		c.p = nil
	}
}
