// Castscope: who is on screen in a TV episode, when, and for how long.
//
// One binary, two faces: with no arguments it opens the window (Wails); with
// a subcommand (run, inspect, export-json, doctor, version) it runs the same
// backend headless. See README.md.
package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"

	"castscope/backend/cli"
	"castscope/backend/instance"
	"castscope/backend/service"
)

//go:embed build/appicon.png
var icon []byte

func main() {
	if bindingsBuild {
		// Writes the TypeScript bindings (bindings.go) and returns.
		if err := writeBindings(); err != nil {
			fmt.Fprintf(os.Stderr, "castscope: bindings: %v\n", err)
			os.Exit(1)
		}
		return
	}
	args := os.Args[1:]
	// Arguments that are existing files are videos to open (a file
	// manager's "Open with", the .desktop entry's %F); flags other than
	// --help belong to the window toolkit (a dev build's -devserver);
	// anything else is a subcommand, and a misspelt one is a usage error,
	// not a window.
	if len(args) > 0 && (cli.IsCommand(args[0]) || !windowArgs(args)) {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := cli.Main(ctx, args, &cli.Env{Stdout: os.Stdout, Stderr: os.Stderr, WorkerExe: selfExe()})
		stop()
		os.Exit(code)
	}

	app := NewApp()
	app.open = filesOf(args)
	// Before the window: bound methods may hand its URL out as soon as
	// the backend is open (app_viewer.go says why video needs it).
	media, err := startMediaServer(app.mediaHandler())
	if err != nil {
		fmt.Fprintf(os.Stderr, "castscope: media server: %v (the viewer cannot play video)\n", err)
	}
	app.media = media
	// One window per data folder: a second launch hands its files to the
	// first and exits (package instance).
	dataDir := service.ResolveDataDir("")
	inst, err := instance.Acquire(dataDir)
	switch {
	case errors.Is(err, instance.ErrHeld):
		os.Exit(handToRunningWindow(dataDir, app.open))
	case err != nil:
		fmt.Fprintf(os.Stderr, "castscope: %v (going on without the one-window lock)\n", err)
	default:
		// Held until the window closes (or the process dies): an Instance
		// nothing refers to would be collected, and its lock file closed.
		defer inst.Close()
		if err := inst.Serve(app.handOver); err != nil {
			fmt.Fprintf(os.Stderr, "castscope: %v (later launches will not reach this window)\n", err)
		}
	}
	err = wails.Run(appOptions(app))
	if err != nil {
		fmt.Fprintf(os.Stderr, "castscope: %v\n", err)
		os.Exit(1) // the lock goes with the process
	}
}

// catalogJSON is where the bindings build writes the catalog, for the
// frontend's unit tests (the app reads it from App.Catalog).
const catalogJSON = "frontend/src/lib/wailsjs/catalog.json"

// writeBindings writes the TypeScript bindings (Wails, from the bound App)
// and the catalog beside them; see bindings.go.
func writeBindings() error {
	if err := wails.Run(appOptions(NewApp())); err != nil {
		return err
	}
	b, err := json.MarshalIndent(service.GetCatalog(), "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(catalogJSON, append(b, '\n'), 0o644)
}

// appOptions are the window's options, with app's methods bound.
func appOptions(app *App) *options.App {
	return &options.App{
		Title:            "Castscope",
		Width:            1280,
		Height:           800,
		MinWidth:         900,
		MinHeight:        560,
		BackgroundColour: &options.RGBA{R: 22, G: 26, B: 33, A: 255},
		AssetServer:      &assetserver.Options{Assets: assets, Handler: app.mediaHandler()},
		OnStartup:        app.startup,
		OnShutdown:       app.shutdown,
		DragAndDrop:      &options.DragAndDrop{EnableFileDrop: true, DisableWebViewDrop: true},
		Linux:            &linux.Options{Icon: icon, ProgramName: "castscope"},
		Bind:             []any{app},
		// A bound method's error reaches the page as {code, message, hint}.
		ErrorFormatter: func(err error) any { return pageError(err) },
	}
}

// handToRunningWindow gives files to the window that holds dataDir and
// returns the exit code.
func handToRunningWindow(dataDir string, files []string) int {
	if err := instance.Hand(dataDir, files, 10*time.Second); err != nil {
		fmt.Fprintf(os.Stderr, "castscope: a Castscope window holds %s but does not answer (%v); close it, or use another data folder (CASTSCOPE_DATA)\n", dataDir, err)
		return 1
	}
	if len(files) == 0 {
		fmt.Printf("castscope: Castscope is already open on %s\n", dataDir)
	} else {
		fmt.Printf("castscope: opened %d file(s) in the running Castscope window\n", len(files))
	}
	return 0
}

// windowArgs reports whether the arguments are for the window rather than a
// subcommand: existing regular files, and flags with their values (the
// toolkit's flags, such as a dev build's -devserver ADDR, all take one).
func windowArgs(args []string) bool {
	_, ok := splitWindowArgs(args)
	return ok
}

// filesOf returns the arguments that name files to open, in order.
func filesOf(args []string) []string {
	files, _ := splitWindowArgs(args)
	return files
}

func splitWindowArgs(args []string) (files []string, ok bool) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case strings.HasPrefix(a, "-"):
			if !strings.Contains(a, "=") {
				i++ // the flag's value
			}
		case isFile(a):
			files = append(files, a)
		default:
			return files, false
		}
	}
	return files, true
}

func isFile(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

// selfExe is this program's executable, whose `worker` command runs stage
// attempts in supervised child processes ("" if it cannot be found: stages
// then run in this process).
func selfExe() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	return exe
}
