// Castscope: who is on screen in a TV episode, when, and for how long.
//
// One binary, two faces: with no arguments it opens the window (Wails); with
// a subcommand (run, inspect, export-json, doctor, version) it runs the same
// backend headless. See README.md.
package main

import (
	"context"
	"embed"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"

	"castscope/backend/cli"
)

//go:embed all:frontend/dist
var assets embed.FS

//go:embed build/appicon.png
var icon []byte

func main() {
	args := os.Args[1:]
	// Arguments that are all existing files are videos to open (a file
	// manager's "Open with", the .desktop entry's %F); anything else is a
	// subcommand, and a misspelt one is a usage error, not a window.
	if len(args) > 0 && (cli.IsCommand(args[0]) || !allFiles(args)) {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := cli.Main(ctx, args, &cli.Env{Stdout: os.Stdout, Stderr: os.Stderr})
		stop()
		os.Exit(code)
	}

	app := NewApp()
	app.open = args
	err := wails.Run(&options.App{
		Title:            "Castscope",
		Width:            1280,
		Height:           800,
		MinWidth:         900,
		MinHeight:        560,
		BackgroundColour: &options.RGBA{R: 22, G: 26, B: 33, A: 255},
		AssetServer:      &assetserver.Options{Assets: assets},
		OnStartup:        app.startup,
		OnShutdown:       app.shutdown,
		DragAndDrop:      &options.DragAndDrop{EnableFileDrop: true, DisableWebViewDrop: true},
		Linux:            &linux.Options{Icon: icon, ProgramName: "castscope"},
		Bind:             []any{app},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "castscope: %v\n", err)
		os.Exit(1)
	}
}

// allFiles reports whether every argument names an existing regular file.
func allFiles(args []string) bool {
	for _, a := range args {
		if st, err := os.Stat(a); err != nil || !st.Mode().IsRegular() {
			return false
		}
	}
	return true
}
