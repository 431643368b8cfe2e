// A thin wrapper over cv::VideoCapture that keeps grab's result and offers
// retrieve, which gocv v0.32.0 does not.
#ifndef CASTSCOPE_CAPTURE_H
#define CASTSCOPE_CAPTURE_H
#ifdef __cplusplus
extern "C" {
#endif

typedef void* CSCapture;

CSCapture cs_capture_open(const char* path);
int cs_capture_opened(CSCapture c);
double cs_capture_get(CSCapture c, int prop);
int cs_capture_set(CSCapture c, int prop, double value);
int cs_capture_grab(CSCapture c);
int cs_capture_retrieve(CSCapture c, void* mat);
void cs_capture_close(CSCapture c);

#ifdef __cplusplus
}
#endif
#endif
