// Package models holds Castscope's default model pack: the two face models
// (RetinaFace MobileNet-0.25 and MobileFaceNet/ArcFace), their manifest
// (models.json: file, sha256, size, licence, training data, source, I/O
// facts), their licence texts and PROVENANCE.md. The files are committed
// here and built into the binary, so an installed or copied castscope runs
// with no models folder; package modelpack checks each against its sha256
// once before it is used.
package models

import "embed"

// Manifest is the raw models.json.
//
//go:embed models.json
var Manifest []byte

// Files holds the built-in model files and their licence texts, by file
// name.
//
//go:embed retinaface_mnet025_640.onnx mobilefacenet_arcface_128.onnx LICENSE.*.txt
var Files embed.FS
