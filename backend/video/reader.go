package video

import (
	"cmp"
	"context"
	"fmt"
	"image"
	"path/filepath"
	"slices"

	"gocv.io/x/gocv"

	"castscope/backend/errs"
)

// Frame is one sampled frame. Mat is BGR and belongs to the Reader: it is
// valid until the next call to Next or Close; Clone it to keep it.
type Frame struct {
	Index int64
	PTSms int64
	Mat   gocv.Mat
}

// Reader delivers the sampled frames of a video in order. Unsampled frames
// are decoded without the colour conversion (grab); only sampled frames
// are converted to BGR (retrieve). A Reader is not safe for concurrent use.
type Reader struct {
	path    string
	info    Info
	c       *capture
	indices []int64 // sampled indices still to deliver
	pos     int64   // index of the frame the next grab decodes
	mat     gocv.Mat
}

// seekable lists the containers where OpenCV's POS_FRAMES seek lands on
// the exact frame (it decodes forward from the previous keyframe); others
// (MPEG-TS, raw streams) are read forward from frame 0 instead.
var seekable = map[string]bool{"mp4": true, "mov": true, "m4v": true, "mkv": true, "matroska": true, "webm": true, "3gp": true}

// seekMin is the resume position below which reading forward is cheaper
// than a seek.
const seekMin = 64

// OpenReader opens path for reading the frames that s samples, starting
// with the first sampled index ≥ startAt (resume). info is Probe's result.
func OpenReader(path string, info Info, s Sampling, startAt int64) (*Reader, error) {
	c := openCapture(path)
	if c == nil {
		return nil, unreadable(path, "could not be opened by the video decoder", nil)
	}
	r := &Reader{path: path, info: info, c: c, mat: gocv.NewMat()}
	all := SampleIndices(info, s)
	i := 0
	for i < len(all) && all[i] < startAt {
		i++
	}
	r.indices = all[i:]
	if len(r.indices) > 0 && r.indices[0] >= seekMin && seekable[info.Container] {
		target := r.indices[0]
		if c.set(gocv.VideoCapturePosFrames, float64(target)) {
			r.pos = target
		} else {
			// A failed seek may leave the capture anywhere: reopen.
			c.close()
			if r.c = openCapture(path); r.c == nil {
				r.mat.Close()
				return nil, unreadable(path, "could not be reopened by the video decoder", nil)
			}
		}
	}
	return r, nil
}

// Next returns the next sampled frame, or ok=false after the last one. A
// stream that ends well before the frame count Probe reported (a file cut
// short) is ERR_VIDEO_UNREADABLE; ctx cancellation returns ctx's error.
func (r *Reader) Next(ctx context.Context) (Frame, bool, error) {
	if len(r.indices) == 0 {
		return Frame{}, false, nil
	}
	target := r.indices[0]
	for r.pos <= target {
		if r.pos%32 == 0 {
			if err := ctx.Err(); err != nil {
				return Frame{}, false, err
			}
		}
		if !r.c.grab() {
			return Frame{}, false, r.ended()
		}
		r.pos++
	}
	if err := ctx.Err(); err != nil {
		return Frame{}, false, err
	}
	if !r.c.retrieve(&r.mat) {
		return Frame{}, false, unreadable(r.path, fmt.Sprintf("has a frame that cannot be decoded (frame %d)", target), nil)
	}
	r.indices = r.indices[1:]
	return Frame{Index: target, PTSms: PTSms(r.info, target), Mat: r.mat}, true, nil
}

// ended decides whether the stream ending at r.pos is the normal end (the
// header's count is an estimate and can overstate by a few frames) or a
// cut: more than a second short of the count Probe made from the header's
// displayed duration (see the package doc).
func (r *Reader) ended() error {
	r.indices = nil
	slack := max(int64(2), int64(r.info.FPS))
	if r.pos+slack < r.info.Frames {
		return unreadable(r.path, fmt.Sprintf("stops decoding at frame %d of %d (the file may be cut short or damaged)", r.pos, r.info.Frames), nil)
	}
	return nil
}

// Close releases the decoder and the frame buffer.
func (r *Reader) Close() error {
	r.c.close()
	r.mat.Close()
	r.indices = nil
	return nil
}

// Thumbnail decodes frame index of path and returns it as a JPEG at most
// width pixels wide (320 when width ≤ 0), keeping the aspect ratio.
func Thumbnail(path string, index int64, width int) ([]byte, error) {
	if width <= 0 {
		width = 320
	}
	c := openCapture(path)
	if c == nil {
		return nil, unreadable(path, "could not be opened by the video decoder", nil)
	}
	defer c.close()
	if index > 0 && !c.set(gocv.VideoCapturePosFrames, float64(index)) {
		return nil, unreadable(path, fmt.Sprintf("cannot seek to frame %d", index), nil)
	}
	m := gocv.NewMat()
	defer m.Close()
	if !c.grab() || !c.retrieve(&m) {
		return nil, unreadable(path, fmt.Sprintf("has no decodable frame %d", index), nil)
	}
	if m.Cols() > width {
		h := max(1, m.Rows()*width/m.Cols())
		gocv.Resize(m, &m, image.Pt(width, h), 0, 0, gocv.InterpolationArea)
	}
	buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, m, []int{gocv.IMWriteJpegQuality, 85})
	if err != nil {
		return nil, errs.Wrap(errs.Internal, err, fmt.Sprintf("The thumbnail of %s could not be encoded.", filepath.Base(path)), "See the log for details.")
	}
	defer buf.Close()
	return append([]byte(nil), buf.GetBytes()...), nil
}

// Crop asks for a square crop around Box (x1,y1,x2,y2 in frame pixels) of
// frame Index.
type Crop struct {
	Index int64
	Box   [4]float32
}

// Crops decodes the frames the crops name (in frame order, one pass) and
// returns each crop as a size×size JPEG, in the order asked. The square is
// the box's longer side plus 40 %, centred on the box and clipped to the
// frame. A crop whose frame cannot be decoded is nil; only a video that
// cannot be opened is an error.
func Crops(path string, crops []Crop, size int) ([][]byte, error) {
	if size <= 0 {
		size = 112
	}
	out := make([][]byte, len(crops))
	if len(crops) == 0 {
		return out, nil
	}
	c := openCapture(path)
	if c == nil {
		return nil, unreadable(path, "could not be opened by the video decoder", nil)
	}
	defer c.close()
	order := make([]int, len(crops))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(crops[a].Index, crops[b].Index) })
	m := gocv.NewMat()
	defer m.Close()
	small := gocv.NewMat()
	defer small.Close()
	pos := int64(-1) // index of the frame in m
	for _, i := range order {
		want := crops[i].Index
		if want != pos {
			// Grab forward over short gaps; seek over long ones.
			if pos < 0 || want < pos || want-pos > 48 {
				if !c.set(gocv.VideoCapturePosFrames, float64(want)) {
					continue
				}
				pos = want - 1
			}
			ok := true
			for ; pos < want && ok; pos++ {
				ok = c.grab()
			}
			if !ok || !c.retrieve(&m) {
				pos = -1
				continue
			}
		}
		r := squareAround(crops[i].Box, m.Cols(), m.Rows())
		if r.Empty() {
			continue
		}
		roi := m.Region(r)
		gocv.Resize(roi, &small, image.Pt(size, size), 0, 0, gocv.InterpolationArea)
		roi.Close()
		buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, small, []int{gocv.IMWriteJpegQuality, 85})
		if err != nil {
			continue
		}
		out[i] = append([]byte(nil), buf.GetBytes()...)
		buf.Close()
	}
	return out, nil
}

// squareAround is the square crop of Crops, clipped to a w×h frame.
func squareAround(b [4]float32, w, h int) image.Rectangle {
	side := 1.4 * max(b[2]-b[0], b[3]-b[1])
	cx, cy := (b[0]+b[2])/2, (b[1]+b[3])/2
	r := image.Rect(int(cx-side/2), int(cy-side/2), int(cx+side/2), int(cy+side/2))
	return r.Intersect(image.Rect(0, 0, w, h))
}
