// Package face holds the vision models of the detect stage on ONNX
// Runtime: the runtime environment and provider choice, the RetinaFace
// detector (decode, NMS, small-face tiling), 5-point alignment and the
// MobileFaceNet/ArcFace embedder.
//
// Decisions:
//   - One ONNX Runtime environment per process (the binding keeps it in a
//     global): OpenRuntime returns the same *Runtime to every caller.
//   - The providers offered are those the loaded library was built with
//     (OrtApi.GetAvailableProviders, read through dlopen since the Go
//     binding does not wrap it), less TensorRT and CUDA when their provider
//     library is not beside it. Sessions try TensorRT → CUDA → CoreML →
//     DirectML in that order among them, then the CPU; a GPU provider that
//     fails to start falls back to the CPU unless RequireGPU is set, which
//     turns any CPU outcome into ERR_PROVIDER_UNAVAILABLE.
//   - Every model I/O fact follows models/PROVENANCE.md: 640×640
//     top-left letterbox, BGR minus (104,117,123), 16800 priors, variances
//     (0.1,0.2), score ≥ 0.5, NMS IoU 0.4; embedder input RGB with the
//     ImageNet mean/std, output L2-normalised.
//   - The batch size is read from the model: a dynamic batch dimension
//     runs DetectorConfig.BatchSize passes (or the embedder's batch) per
//     run, a fixed one runs that many. Input and output tensors are kept
//     per batch size and reused between runs.
//   - Small faces: one letterbox pass shrinks a 1080p frame 3×, so a 48 px
//     face becomes 16 px, the size of the smallest anchor, and is often
//     missed. The "default" preset adds square tiles as high as the frame
//     (two at 1080p, seen at 0.59×: 3 passes a frame), "detail" tiles of
//     0.6 × the height (eight at 1080p, about native scale: 9 passes).
//     Tiles overlap by a fifth, are never upscaled, and drop faces touching
//     an inner tile edge (a neighbour or the full pass sees those whole);
//     all passes of a frame are merged with one NMS. The cost grows with
//     the passes (BenchmarkPreset).
//   - Alignment uses OpenCV's estimateAffinePartial2D with the template
//     scaled down 1000× so RANSAC keeps every landmark and the refinement
//     is the least-squares similarity over all five points, then
//     warpAffine (bilinear, black border).
//
// Recall by face height in a 1920×1080 frame, measured by TestRecallBySize
// on generated frames (fixture faces pasted on noise):
//
//	preset    24px  32px  40px  48px  64px  96px  160px
//	fast      0.00  0.00  0.05  0.30  0.99  1.00  1.00
//	default   0.00  0.26  0.86  1.00  1.00  1.00  1.00
//	detail    0.91  1.00  1.00  1.00  1.00  1.00  1.00
package face
