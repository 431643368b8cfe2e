package face

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	ort "github.com/yalue/onnxruntime_go"

	"castscope/backend/errs"
)

// Execution provider names as ONNX Runtime reports them.
const (
	ProviderTensorRT = "TensorrtExecutionProvider"
	ProviderCUDA     = "CUDAExecutionProvider"
	ProviderCoreML   = "CoreMLExecutionProvider"
	ProviderDirectML = "DmlExecutionProvider"
	ProviderCPU      = "CPUExecutionProvider"
)

// providerOrder is the preference order; CPU is the fallback.
var providerOrder = []string{ProviderTensorRT, ProviderCUDA, ProviderCoreML, ProviderDirectML}

// EnvORTLib names the environment variable that points at the library.
const EnvORTLib = "CASTSCOPE_ORT_LIB"

// Runtime is the process's one ONNX Runtime environment. The binding keeps
// the environment in a package global, so OpenRuntime hands every caller
// the same *Runtime; it lives until the process ends.
type Runtime struct {
	libPath   string
	version   string
	providers []string
}

var (
	sharedMu sync.Mutex
	shared   *Runtime
)

// libName is the file name of the ONNX Runtime library on this system.
func libName() string {
	switch runtime.GOOS {
	case "windows":
		return "onnxruntime.dll"
	case "darwin":
		return "libonnxruntime.dylib"
	}
	return "libonnxruntime.so.1"
}

// libCandidates lists where the library is looked for, in order.
func libCandidates(libPath string) []string {
	if libPath != "" {
		return []string{libPath}
	}
	if p := os.Getenv(EnvORTLib); p != "" {
		return []string{p}
	}
	rel := filepath.Join("third_party", "onnxruntime", libName())
	var out []string
	if exe, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		dir := filepath.Dir(exe)
		// An installed app: PREFIX/bin/castscope and PREFIX/lib/castscope/
		// (the .deb); a bundle or a portable folder: beside the executable.
		out = append(out, filepath.Join(dir, "..", "lib", "castscope", libName()), filepath.Join(dir, libName()), filepath.Join(dir, rel))
	}
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			out = append(out, filepath.Join(d, rel))
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	out = append(out, filepath.Join("/usr/lib/castscope", libName()), filepath.Join("/opt/onnxruntime/lib", libName()))
	for i := range out {
		out[i] = filepath.Clean(out[i])
	}
	return slices.Compact(out)
}

// findLib returns the first existing file among tried, or
// ERR_RUNTIME_MISSING naming them all.
func findLib(tried []string) (string, error) {
	for _, p := range tried {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", errs.New(errs.RuntimeMissing,
		fmt.Sprintf("The ONNX Runtime library was not found (tried %s).", strings.Join(tried, ", ")),
		"Install Castscope from its package (it puts the library in /usr/lib/castscope), or set "+EnvORTLib+" to the path of "+libName()+".")
}

// OpenRuntime loads the ONNX Runtime library and creates the environment.
// libPath "" means $CASTSCOPE_ORT_LIB, else ../lib/castscope/ from the
// executable (the installed app), the executable's own folder,
// third_party/onnxruntime/ next to the executable or in the working
// directory or one of its parents (a checkout), /usr/lib/castscope, and
// /opt/onnxruntime/lib. A second call returns the first Runtime,
// whatever path it is given. Failure is ERR_RUNTIME_MISSING naming the
// paths tried.
func OpenRuntime(libPath string) (*Runtime, error) {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared != nil {
		return shared, nil
	}
	found, err := findLib(libCandidates(libPath))
	if err != nil {
		return nil, err
	}
	if abs, err := filepath.Abs(found); err == nil {
		found = abs
	}
	if !ort.IsInitialized() {
		ort.SetSharedLibraryPath(found)
		if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
			return nil, errs.Wrap(errs.RuntimeMissing, fmt.Errorf("face: initialize onnxruntime: %w", err),
				fmt.Sprintf("The ONNX Runtime library %s could not be loaded.", found),
				"Use the library shipped with Castscope (ONNX Runtime 1.30) or set "+EnvORTLib+" to a compatible one.")
		}
	}
	provs, err := libraryProviders(found)
	if err != nil || len(provs) == 0 {
		provs = []string{ProviderCPU}
	}
	shared = &Runtime{libPath: found, version: ort.GetVersion(), providers: usableProviders(found, provs)}
	return shared, nil
}

// bridgeLibs names the provider libraries ONNX Runtime loads beside
// itself for the providers it reaches through its provider bridge. A
// build may list such a provider (the npm CPU package lists TensorRT and
// CUDA) without shipping its library; those are left out.
var bridgeLibs = map[string]string{ProviderTensorRT: "tensorrt", ProviderCUDA: "cuda"}

func usableProviders(lib string, provs []string) []string {
	dir := filepath.Dir(lib)
	var out []string
	for _, p := range provs {
		if name, ok := bridgeLibs[p]; ok {
			file := "libonnxruntime_providers_" + name + ".so"
			if runtime.GOOS == "windows" {
				file = "onnxruntime_providers_" + name + ".dll"
			}
			if _, err := os.Stat(filepath.Join(dir, file)); err != nil {
				continue
			}
		}
		out = append(out, p)
	}
	if !slices.Contains(out, ProviderCPU) {
		out = append(out, ProviderCPU)
	}
	return out
}

// Version is the loaded library's version, e.g. "1.30.0".
func (rt *Runtime) Version() string { return rt.version }

// LibPath is the absolute path of the loaded library.
func (rt *Runtime) LibPath() string { return rt.libPath }

// Providers lists the execution providers the loaded library offers, e.g.
// [CPUExecutionProvider]: those it was built with, less the bridge
// providers (TensorRT, CUDA) whose provider library is not beside it.
func (rt *Runtime) Providers() []string { return slices.Clone(rt.providers) }

func (rt *Runtime) offers(p string) bool { return slices.Contains(rt.providers, p) }

// SessionConfig chooses how a model session runs. The zero value uses the
// best provider the library offers and ONNX Runtime's default thread count.
type SessionConfig struct {
	// RequireGPU turns a CPU-only outcome into ERR_PROVIDER_UNAVAILABLE.
	RequireGPU bool
	// IntraOpThreads is the number of threads one inference may use;
	// 0 leaves ONNX Runtime's default (one per physical core).
	IntraOpThreads int
	// NoSpinning stops ONNX Runtime's worker threads from busy-waiting
	// between runs, which leaves the cores to decoding and other stages
	// running beside inference (ONNX Runtime spins by default).
	NoSpinning bool
}

// session is one loaded model with its I/O description.
type session struct {
	s        *ort.DynamicAdvancedSession
	in       ort.InputOutputInfo
	outs     []ort.InputOutputInfo
	provider string
	load     time.Duration
}

func (s *session) close() error {
	if s == nil || s.s == nil {
		return nil
	}
	err := s.s.Destroy()
	s.s = nil
	return err
}

// appendProvider adds provider p to opts; an error means the library or
// machine cannot use it.
func appendProvider(opts *ort.SessionOptions, p string) error {
	switch p {
	case ProviderTensorRT:
		o, err := ort.NewTensorRTProviderOptions()
		if err != nil {
			return err
		}
		defer o.Destroy()
		return opts.AppendExecutionProviderTensorRT(o)
	case ProviderCUDA:
		o, err := ort.NewCUDAProviderOptions()
		if err != nil {
			return err
		}
		defer o.Destroy()
		return opts.AppendExecutionProviderCUDA(o)
	case ProviderCoreML:
		return opts.AppendExecutionProviderCoreMLV2(map[string]string{})
	case ProviderDirectML:
		return opts.AppendExecutionProviderDirectML(0)
	}
	return fmt.Errorf("face: unknown provider %s", p)
}

// newOptions builds session options; withGPU tries the GPU providers in
// order and reports the first one that was accepted ("" if none).
func (rt *Runtime) newOptions(sc SessionConfig, withGPU bool) (*ort.SessionOptions, string, error) {
	opts, err := ort.NewSessionOptions()
	if err != nil {
		return nil, "", fmt.Errorf("face: session options: %w", err)
	}
	if sc.IntraOpThreads > 0 {
		if err := opts.SetIntraOpNumThreads(sc.IntraOpThreads); err != nil {
			opts.Destroy()
			return nil, "", fmt.Errorf("face: set threads: %w", err)
		}
	}
	if sc.NoSpinning {
		if err := opts.AddSessionConfigEntry("session.intra_op.allow_spinning", "0"); err != nil {
			opts.Destroy()
			return nil, "", fmt.Errorf("face: disable spinning: %w", err)
		}
	}
	chosen := ""
	if withGPU {
		for _, p := range providerOrder {
			if rt.offers(p) && appendProvider(opts, p) == nil && chosen == "" {
				chosen = p
			}
		}
	}
	return opts, chosen, nil
}

// Model is an ONNX model's bytes and the label messages use for it (its
// path, or "built-in FILE"). Package modelpack hands these out checked.
type Model struct {
	Label string
	Data  []byte
}

// openSession creates a session for m on the best provider; kind names
// the model in messages ("detector", "embedder").
func (rt *Runtime) openSession(kind string, m Model, sc SessionConfig) (*session, error) {
	if rt == nil {
		return nil, errs.New(errs.RuntimeMissing, "ONNX Runtime is not loaded.", "Open the runtime before loading models.")
	}
	if len(m.Data) == 0 {
		return nil, errs.New(errs.ModelMissing, fmt.Sprintf("The %s model %s is empty.", kind, m.Label), "Use the built-in models, or a models folder with the right files.")
	}
	loadFailed := func(err error) error {
		return errs.Wrap(errs.ModelLoadFailed, fmt.Errorf("face: load %s: %w", m.Label, err),
			fmt.Sprintf("The %s model %s could not be loaded.", kind, m.Label),
			"The file may be damaged or not an ONNX model: use the built-in models, or replace the file.")
	}
	ins, outs, err := ort.GetInputOutputInfoWithONNXData(m.Data)
	if err != nil {
		return nil, loadFailed(err)
	}
	if len(ins) != 1 || len(outs) == 0 {
		return nil, loadFailed(fmt.Errorf("want 1 input and some outputs, have %d and %d", len(ins), len(outs)))
	}
	outNames := make([]string, len(outs))
	for i, o := range outs {
		outNames[i] = o.Name
	}
	t0 := time.Now()
	opts, chosen, err := rt.newOptions(sc, true)
	if err != nil {
		return nil, err
	}
	if sc.RequireGPU && chosen == "" {
		opts.Destroy()
		return nil, errs.New(errs.ProviderUnavailable,
			fmt.Sprintf("A GPU was required, but the ONNX Runtime library %s offers only %s.", rt.libPath, strings.Join(rt.providers, ", ")),
			"Point "+EnvORTLib+" at a GPU build of ONNX Runtime, or turn off \"require GPU\".")
	}
	s, err := ort.NewDynamicAdvancedSessionWithONNXData(m.Data, []string{ins[0].Name}, outNames, opts)
	opts.Destroy()
	if err != nil && chosen != "" {
		if sc.RequireGPU {
			return nil, errs.Wrap(errs.ProviderUnavailable, fmt.Errorf("face: session on %s: %w", chosen, err),
				fmt.Sprintf("The %s model could not start on %s.", kind, chosen),
				"Check the GPU driver and the CUDA/TensorRT libraries, or turn off \"require GPU\".")
		}
		// The GPU provider was offered but does not work here: use the CPU.
		opts, _, oerr := rt.newOptions(sc, false)
		if oerr != nil {
			return nil, oerr
		}
		chosen = ""
		s, err = ort.NewDynamicAdvancedSessionWithONNXData(m.Data, []string{ins[0].Name}, outNames, opts)
		opts.Destroy()
	}
	if err != nil {
		return nil, loadFailed(err)
	}
	return &session{s: s, in: ins[0], outs: outs, provider: cmp.Or(chosen, ProviderCPU), load: time.Since(t0)}, nil
}

// Preferred returns the provider a session would try first: the first of
// TensorRT, CUDA, CoreML and DirectML the library offers, else the CPU.
func (rt *Runtime) Preferred() string {
	for _, p := range providerOrder {
		if rt.offers(p) {
			return p
		}
	}
	return ProviderCPU
}
