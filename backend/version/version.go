// Package version holds the build's version, set at link time with
// -ldflags "-X castscope/backend/version.Version=…".
package version

// Version is the product version.
var Version = "0.1.0-dev"
