//go:build bindings

package main

import "embed"

// A build with -tags bindings writes the frontend's TypeScript bindings and
// exits: Wails' wails.Run then generates, from the bound App's methods and
// the Go types they take and return, frontend/src/lib/wailsjs/go/main/App.js
// (+ .d.ts), wailsjs/go/models.ts and the runtime wrapper (wails.json's
// wailsjsdir; run from the repository root, see make bindings), then the
// catalog (App.Catalog) as wailsjs/catalog.json for the frontend's unit
// tests. It needs no built frontend, so it embeds none: the frontend's
// build needs the bindings.
var assets embed.FS

const bindingsBuild = true
