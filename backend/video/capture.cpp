#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>
#include "capture.h"

CSCapture cs_capture_open(const char* path) {
    try {
        cv::VideoCapture* c = new cv::VideoCapture();
        c->open(cv::String(path), cv::CAP_FFMPEG);
        return c;
    } catch (...) {
        return nullptr;
    }
}

int cs_capture_opened(CSCapture c) {
    if (!c) return 0;
    try {
        return static_cast<cv::VideoCapture*>(c)->isOpened() ? 1 : 0;
    } catch (...) {
        return 0;
    }
}

double cs_capture_get(CSCapture c, int prop) {
    if (!c) return 0;
    try {
        return static_cast<cv::VideoCapture*>(c)->get(prop);
    } catch (...) {
        return 0;
    }
}

int cs_capture_set(CSCapture c, int prop, double value) {
    if (!c) return 0;
    try {
        return static_cast<cv::VideoCapture*>(c)->set(prop, value) ? 1 : 0;
    } catch (...) {
        return 0;
    }
}

int cs_capture_grab(CSCapture c) {
    if (!c) return 0;
    try {
        return static_cast<cv::VideoCapture*>(c)->grab() ? 1 : 0;
    } catch (...) {
        return 0;
    }
}

int cs_capture_retrieve(CSCapture c, void* mat) {
    if (!c || !mat) return 0;
    try {
        cv::Mat* m = static_cast<cv::Mat*>(mat);
        return static_cast<cv::VideoCapture*>(c)->retrieve(*m) && !m->empty() ? 1 : 0;
    } catch (...) {
        return 0;
    }
}

void cs_capture_close(CSCapture c) {
    if (!c) return;
    try {
        delete static_cast<cv::VideoCapture*>(c);
    } catch (...) {
    }
}
