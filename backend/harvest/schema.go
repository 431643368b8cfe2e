package harvest

// ManifestRow is one frame of manifest.parquet: every frame of the video,
// with Sampled marking those the pipeline looks at.
type ManifestRow struct {
	FrameIndex int64 `parquet:"frame_index" json:"frame_index"`
	PTSms      int64 `parquet:"pts_ms" json:"pts_ms"`
	Width      int32 `parquet:"width" json:"width"`
	Height     int32 `parquet:"height" json:"height"`
	Sampled    bool  `parquet:"sampled" json:"sampled"`
}

// DetectionRow is one face of detections.parquet. Boxes and landmarks are
// in frame pixels; Landmarks holds the five points as x0,y0,…,x4,y4 (left
// eye, right eye, nose, left mouth corner, right mouth corner). DetID is
// unique and increasing in frame order across the file.
type DetectionRow struct {
	DetID      int64     `parquet:"det_id" json:"det_id"`
	FrameIndex int64     `parquet:"frame_index" json:"frame_index"`
	PTSms      int64     `parquet:"pts_ms" json:"pts_ms"`
	X1         float32   `parquet:"x1" json:"x1"`
	Y1         float32   `parquet:"y1" json:"y1"`
	X2         float32   `parquet:"x2" json:"x2"`
	Y2         float32   `parquet:"y2" json:"y2"`
	Score      float32   `parquet:"score" json:"score"`
	Landmarks  []float32 `parquet:"landmarks" json:"landmarks"`
	FaceW      float32   `parquet:"face_w" json:"face_w"`
	FaceH      float32   `parquet:"face_h" json:"face_h"`
	Blur       float32   `parquet:"blur" json:"blur"`
}

// EmbeddingRow is one face's L2-normalised embedding in embeddings.parquet,
// keyed by the DetID of its detection (same order as detections.parquet).
type EmbeddingRow struct {
	DetID      int64     `parquet:"det_id" json:"det_id"`
	FrameIndex int64     `parquet:"frame_index" json:"frame_index"`
	Vec        []float32 `parquet:"vec" json:"vec"`
}
