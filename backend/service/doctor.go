package service

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"strings"

	"gocv.io/x/gocv"

	"castscope/backend/errs"
	"castscope/backend/face"
	"castscope/backend/modelpack"
	"castscope/backend/version"
)

// Doctor is what `castscope doctor` prints and Settings shows.
type Doctor struct {
	Version    string             `json:"version"`
	Go         string             `json:"go"`
	OpenCV     string             `json:"opencv"`
	ORTLib     string             `json:"ort_lib"`
	ORTVersion string             `json:"ort_version"`
	ORTError   *errs.Error        `json:"ort_error,omitempty"`
	Providers  []string           `json:"providers"`
	Provider   string             `json:"provider"` // the one detect would use
	DataDir    string             `json:"data_dir"`
	ModelsDir  string             `json:"models_dir"`
	Models     []modelpack.Status `json:"models"`
	FFprobe    bool               `json:"ffprobe"`
}

// OK reports whether the pipeline can run: runtime loaded, models right.
func (d Doctor) OK() bool {
	if d.ORTError != nil {
		return false
	}
	for _, m := range d.Models {
		if !m.OK {
			return false
		}
	}
	return true
}

// RunDoctor inspects the toolchain the pipeline depends on.
func RunDoctor(ctx context.Context, dataDir string, s Settings) Doctor {
	d := Doctor{
		Version: version.Version,
		Go:      runtime.Version(),
		OpenCV:  gocv.OpenCVVersion(),
		DataDir: dataDir,
	}
	d.ModelsDir = ModelsDir(s)
	d.Models = modelpack.Default().Verify(d.ModelsDir)
	rt, err := face.OpenRuntime(s.ORTLib)
	if err != nil {
		d.ORTError = errs.As(err)
	} else {
		d.ORTLib, d.ORTVersion, d.Providers = rt.LibPath(), rt.Version(), rt.Providers()
		d.Provider = rt.Preferred()
	}
	_, err = exec.LookPath("ffprobe")
	d.FFprobe = err == nil
	return d
}

// ModelsDir is the models folder in use: the setting, else
// $CASTSCOPE_MODELS, else "" for the models built into the binary.
func ModelsDir(s Settings) string {
	if s.ModelsDir != "" {
		return s.ModelsDir
	}
	return modelpack.Dir()
}

// Print writes the doctor report as text.
func (d Doctor) Print(w io.Writer) {
	mark := func(ok bool) string {
		if ok {
			return "ok "
		}
		return "BAD"
	}
	fmt.Fprintf(w, "Castscope %s (%s, %s/%s)\n", d.Version, d.Go, runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(w, "OpenCV        %s\n", d.OpenCV)
	if d.ORTError != nil {
		fmt.Fprintf(w, "ONNX Runtime  BAD %s %s\n              hint: %s\n", d.ORTError.Code, d.ORTError.Message, d.ORTError.Hint)
	} else {
		fmt.Fprintf(w, "ONNX Runtime  %s (%s)\n", d.ORTVersion, d.ORTLib)
		fmt.Fprintf(w, "Providers     %s\n", strings.Join(d.Providers, ", "))
		fmt.Fprintf(w, "Provider used %s\n", d.Provider)
	}
	fmt.Fprintf(w, "ffprobe       %v\n", d.FFprobe)
	fmt.Fprintf(w, "Data dir      %s\n", d.DataDir)
	if d.ModelsDir == "" {
		fmt.Fprintf(w, "Models        built in (set a models folder in Settings or %s to use another pack)\n", modelpack.EnvModels)
	} else {
		fmt.Fprintf(w, "Models        folder %s\n", d.ModelsDir)
	}
	for _, m := range d.Models {
		if m.OK {
			fmt.Fprintf(w, "  %s %-10s %s sha256 ok, %s\n", mark(true), m.Name, m.File, m.Describe())
		} else {
			fmt.Fprintf(w, "  %s %-10s %s %s %s\n", mark(false), m.Name, m.File, m.Code, m.Problem)
		}
		fmt.Fprintf(w, "      licence %s; trained on %s\n", m.Licence, cmp.Or(m.TrainingData, "not known"))
	}
}
