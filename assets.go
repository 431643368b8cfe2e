//go:build !bindings

package main

import "embed"

// The built frontend (make frontend/dist/index.html), served by the window.
//
//go:embed all:frontend/dist
var assets embed.FS

// bindingsBuild is true only in the build that writes the frontend's
// TypeScript bindings (bindings.go).
const bindingsBuild = false
