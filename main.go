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
	if len(os.Args) > 1 && cli.IsCommand(os.Args[1]) {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := cli.Main(ctx, os.Args[1:], &cli.Env{Stdout: os.Stdout, Stderr: os.Stderr})
		stop()
		os.Exit(code)
	}

	app := NewApp()
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
