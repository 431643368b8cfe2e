package video

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"gocv.io/x/gocv"
)

// DecodeBenchResult is bench (a): the Reader producing the sampled BGR
// frames against ffmpeg producing the same frames into a pipe, measured
// side by side on one file.
type DecodeBenchResult struct {
	Path      string  `json:"path"`
	SampleFPS float64 `json:"sample_fps"`
	Threads   int     `json:"ffmpeg_threads"` // 0: ffmpeg's automatic choice
	Width     int     `json:"width"`
	Height    int     `json:"height"`

	Frames    int64   `json:"frames"` // sampled frames the Reader delivered
	ReaderS   float64 `json:"reader_s"`
	ReaderFPS float64 `json:"reader_fps"` // sampled frames per second

	FFmpegFrames int64   `json:"ffmpeg_frames"`
	FFmpegS      float64 `json:"ffmpeg_s"`
	FFmpegFPS    float64 `json:"ffmpeg_fps"`

	// Ratio is ReaderFPS ÷ FFmpegFPS; the goal is ≥ 0.95.
	Ratio float64 `json:"ratio"`

	// ReadAllS is the same sampled read with every frame converted to BGR
	// (gocv's Read on every frame, dropping the unsampled ones): what the
	// Reader's grab-only skipping saves. 0 unless asked for.
	ReadAllS   float64 `json:"read_all_s,omitempty"`
	ReadAllFPS float64 `json:"read_all_fps,omitempty"`
}

func (r DecodeBenchResult) String() string {
	s := fmt.Sprintf("decode %dx%d @ %.3g fps sampled: reader %d frames %.2fs %.1f fps | ffmpeg -threads %d: %d frames %.2fs %.1f fps | ratio %.3f (goal ≥ 0.95)",
		r.Width, r.Height, r.SampleFPS, r.Frames, r.ReaderS, r.ReaderFPS, r.Threads, r.FFmpegFrames, r.FFmpegS, r.FFmpegFPS, r.Ratio)
	if r.ReadAllS > 0 {
		s += fmt.Sprintf(" | convert-every-frame %.2fs %.1f fps", r.ReadAllS, r.ReadAllFPS)
	}
	return s
}

// DecodeBench measures bench (a) on path at fps sampled frames per second
// (0: every frame), ffmpeg decoding with threads threads (0: automatic;
// OpenCV picks its own decoder thread count, one per core). The file is
// read once beforehand so both start from a warm page cache; then ffmpeg
// runs, then the Reader.
func DecodeBench(ctx context.Context, path string, fps float64, threads int) (DecodeBenchResult, error) {
	return decodeBench(ctx, path, fps, threads, false)
}

func decodeBench(ctx context.Context, path string, fps float64, threads int, readAll bool) (DecodeBenchResult, error) {
	res := DecodeBenchResult{Path: path, SampleFPS: fps, Threads: threads}
	info, err := Probe(ctx, path)
	if err != nil {
		return res, err
	}
	res.Width, res.Height = info.Width, info.Height
	if err := warm(path); err != nil {
		return res, fmt.Errorf("video: bench: read %s: %w", path, err)
	}

	start := time.Now()
	n, err := ffmpegDecode(ctx, path, fps, threads, info.Width*info.Height*3)
	if err != nil {
		return res, err
	}
	res.FFmpegS, res.FFmpegFrames = time.Since(start).Seconds(), n

	start = time.Now()
	r, err := OpenReader(path, info, Sampling{FPS: fps}, 0)
	if err != nil {
		return res, err
	}
	var sum byte
	for {
		f, ok, err := r.Next(ctx)
		if err != nil {
			r.Close()
			return res, err
		}
		if !ok {
			break
		}
		sum += f.Mat.GetUCharAt(0, 0) // touch the frame, as a consumer would
		res.Frames++
	}
	r.Close()
	res.ReaderS = time.Since(start).Seconds()
	_ = sum

	if readAll {
		start = time.Now()
		if _, err := readEveryFrame(ctx, path, info, Sampling{FPS: fps}); err != nil {
			return res, err
		}
		res.ReadAllS = time.Since(start).Seconds()
		res.ReadAllFPS = float64(res.Frames) / res.ReadAllS
	}

	res.ReaderFPS = float64(res.Frames) / res.ReaderS
	res.FFmpegFPS = float64(res.FFmpegFrames) / res.FFmpegS
	if res.FFmpegFPS > 0 {
		res.Ratio = res.ReaderFPS / res.FFmpegFPS
	}
	return res, nil
}

func warm(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(io.Discard, f)
	return err
}

// ffmpegDecode runs `ffmpeg -threads T -i FILE -vf fps=N -pix_fmt bgr24 -f
// rawvideo -` and counts the frames it writes to the pipe.
func ffmpegDecode(ctx context.Context, path string, fps float64, threads, frameBytes int) (int64, error) {
	args := []string{"-v", "error", "-nostdin", "-threads", strconv.Itoa(threads), "-i", "file:" + path}
	if fps > 0 {
		args = append(args, "-vf", "fps="+strconv.FormatFloat(fps, 'f', -1, 64))
	}
	args = append(args, "-an", "-pix_fmt", "bgr24", "-f", "rawvideo", "-")
	cmd := exec.CommandContext(ctx, "ffmpeg", args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, fmt.Errorf("video: bench: ffmpeg pipe: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("video: bench: start ffmpeg: %w", err)
	}
	br := bufio.NewReaderSize(out, 1<<20)
	buf := make([]byte, frameBytes)
	var n int64
	for {
		if _, err := io.ReadFull(br, buf); err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
				cmd.Wait()
				return n, fmt.Errorf("video: bench: read ffmpeg output: %w", err)
			}
			break
		}
		n++
	}
	if err := cmd.Wait(); err != nil {
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
		return n, fmt.Errorf("video: bench: ffmpeg: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return n, nil
}

// readEveryFrame is the naive reader: decode and convert every frame, keep
// the sampled ones.
func readEveryFrame(ctx context.Context, path string, info Info, s Sampling) (int64, error) {
	c := openCapture(path)
	if c == nil {
		return 0, unreadable(path, "could not be opened by the video decoder", nil)
	}
	defer c.close()
	m := gocv.NewMat()
	defer m.Close()
	idx := SampleIndices(info, s)
	var n int64
	for i := int64(0); len(idx) > 0; i++ {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		if !c.grab() || !c.retrieve(&m) {
			break
		}
		if idx[0] == i {
			idx = idx[1:]
			n++
		}
	}
	return n, nil
}
