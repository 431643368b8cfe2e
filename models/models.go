// Package models embeds models.json, the manifest of the face models
// Castscope runs (file, sha256, size, licence, source, I/O facts). The ONNX
// files themselves are never committed; `make models` installs them here.
package models

import _ "embed"

// Manifest is the raw models.json.
//
//go:embed models.json
var Manifest []byte
